// What apply changes in other packages' UCI files, recorded as it was before ha-router first
// touched it (/etc/ha-router/originals.json), so `ha-router teardown` (opkg remove) puts every
// option back: the WAN on its own port again, keepalived as the user had it, no fw4 includes.
// Pure: the record is data; originals-store.ts reads and writes the file.
import { findSection } from '../config/uci-names.ts';
import { parseUci } from '../config/uci-parse.ts';
import type { UciChange, UciEdit } from '../model/uci-edit.ts';

/** An option's value before we changed it; null: it was not set. */
export type OriginalValue = string | readonly string[] | null;

export interface OriginalSection {
	/** False: apply created the section, so teardown deletes it. */
	readonly existed: boolean;
	readonly options: Readonly<Record<string, OriginalValue>>;
}

export interface Originals {
	/** package -> section name -> what it held. */
	readonly uci: Readonly<Record<string, Readonly<Record<string, OriginalSection>>>>;
	/** Init scripts whose boot enablement apply changed, as they were. */
	readonly bootEnabled: Readonly<Record<string, boolean>>;
}

export const NO_ORIGINALS: Originals = { uci: {}, bootEnabled: {} };

function editTarget(e: UciEdit): { section: string; option: string | null } {
	return e.op === 'section' ? { section: e.name, option: null } : { section: e.section, option: e.op === 'delete' ? (e.option ?? null) : e.option };
}

/**
 * Adds what `change` is about to touch in `text` (the package's current content) to the record.
 * What is recorded already stays: the first value seen is the user's own.
 */
export function recordOriginals(prev: Originals, change: UciChange, text: string | null, file: string): Originals {
	const pkg = text === null ? null : parseUci(text, file);
	const sections: Record<string, OriginalSection> = { ...prev.uci[change.package] };
	for (const e of change.edits) {
		const { section, option } = editTarget(e);
		// Named, or @type[i] for an anonymous section (dhcp's).
		const current = pkg ? (e.op === 'section' ? pkg.sections.find((s) => s.name === section && !s.anonymous) : findSection(pkg, section)) : undefined;
		const known = sections[section] ?? { existed: current !== undefined, options: {} };
		if (option === null || option in known.options || !known.existed) {
			sections[section] = known;
			continue;
		}
		const o = current?.options.find((x) => x.name === option);
		const value: OriginalValue = o === undefined ? null : o.isList ? [...o.values] : (o.values[0] ?? '');
		sections[section] = { existed: true, options: { ...known.options, [option]: value } };
	}
	return { ...prev, uci: { ...prev.uci, [change.package]: sections } };
}

/** The edits that put one package back as recorded. */
export function undoEdits(sections: Readonly<Record<string, OriginalSection>>): UciEdit[] {
	const edits: UciEdit[] = [];
	for (const [section, rec] of Object.entries(sections)) {
		if (!rec.existed) {
			edits.push({ op: 'delete', section });
			continue;
		}
		for (const [option, v] of Object.entries(rec.options)) {
			if (v === null) edits.push({ op: 'delete', section, option });
			else if (typeof v === 'string') edits.push({ op: 'set', section, option, value: v });
			else edits.push({ op: 'list', section, option, values: v });
		}
	}
	return edits;
}

/** Parses the record file; anything unreadable counts as no record (teardown then says so). */
export function parseOriginals(text: string | null): Originals | null {
	if (text === null) return null;
	try {
		const o = JSON.parse(text) as Partial<Originals>;
		if (!o || typeof o !== 'object' || typeof o.uci !== 'object' || typeof o.bootEnabled !== 'object') return null;
		return { uci: o.uci ?? {}, bootEnabled: o.bootEnabled ?? {} };
	} catch {
		return null;
	}
}
