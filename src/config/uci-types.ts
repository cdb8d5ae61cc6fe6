// A parsed UCI package: the data libuci would load, plus where every piece came from, so messages
// can point at lines and edits can rewrite only the lines they touch.

export type UciCommand = 'package' | 'config' | 'option' | 'list';

/** One command as written in the file. Offsets are into the parsed text. */
export interface UciStatement {
	readonly command: UciCommand;
	/** Offset of the keyword. */
	readonly start: number;
	/** Offset just after the last argument (before trailing blanks or a comment). */
	readonly end: number;
	/** 1-based line of the keyword, and of the last argument (quoted values may span lines). */
	readonly line: number;
	readonly endLine: number;
	/** Index of the section it belongs to (-1 for `package`). */
	readonly section: number;
	/** Option name for option/list. */
	readonly name?: string;
	/** Another command shares one of its lines (`;`), so it cannot be edited as whole lines. */
	shared: boolean;
}

export interface UciOption {
	readonly name: string;
	readonly isList: boolean;
	/** One value for an option; the items, in order, for a list. */
	readonly values: string[];
	/** Line of the command that set its current value (or, for a list, began it). */
	readonly line: number;
	/** Index in UciPackage.statements of the command that holds its place: the first one, as libuci keeps a changed option in place. */
	readonly anchor: number;
	/** Every statement that contributed to it, in file order. */
	readonly statements: number[];
}

export interface UciSection {
	readonly type: string;
	/** The given name, or the generated cfgXXXXXX name of an anonymous section. */
	readonly name: string;
	readonly anonymous: boolean;
	/** How uci show names it: the name, or @type[n] when anonymous. */
	id: string;
	/** Line of its (first) `config` command. */
	readonly line: number;
	readonly options: UciOption[];
	/** Every statement in it (config commands included), in file order. */
	readonly statements: number[];
}

export interface UciPackage {
	readonly file: string;
	readonly text: string;
	/** In libuci's order: a repeated named section stays where it first appeared. */
	readonly sections: UciSection[];
	readonly statements: UciStatement[];
}

/** A parse error as libuci reports it, with a position. */
export class UciSyntaxError extends Error {
	constructor(
		readonly file: string,
		readonly line: number,
		readonly column: number,
		/** libuci's wording, e.g. 'invalid command', 'EOF with unterminated \''. */
		readonly reason: string,
	) {
		super(`${file}:${line}:${column}: parse error: ${reason}`);
		this.name = 'UciSyntaxError';
	}
}
