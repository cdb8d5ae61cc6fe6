// Edits to a UCI package as data: renderers produce them, src/config/uci applies them losslessly
// (every line they do not touch stays byte-identical). Sections are addressed by name or @type[i].

export type UciEdit =
	/** Make sure a named section of this type exists; appended at the end when missing. */
	| { readonly op: 'section'; readonly type: string; readonly name: string }
	/** Set an option, replacing a previous option or list of that name. */
	| { readonly op: 'set'; readonly section: string; readonly option: string; readonly value: string }
	/** Replace the whole list (an empty list deletes it). */
	| { readonly op: 'list'; readonly section: string; readonly option: string; readonly values: readonly string[] }
	/** Delete one option, or the whole section when `option` is absent. Missing targets are fine. */
	| { readonly op: 'delete'; readonly section: string; readonly option?: string };

/** The edits for one UCI package (a file in the config directory). */
export interface UciChange {
	readonly package: string;
	readonly edits: readonly UciEdit[];
}
