// Pending uci changes (/tmp/.uci/<pkg>, delta.c). libuci replays them on top of the file at the
// next load or `uci commit`, so whoever writes /etc/config/<pkg> directly must check for them.

import { UciLexer } from './uci-lexer.ts';

export type UciDeltaOp = 'set' | 'add' | 'delete' | 'rename' | 'reorder' | 'list-add' | 'list-delete';

export interface UciDeltaEntry {
	readonly op: UciDeltaOp;
	readonly package: string;
	readonly section: string;
	readonly option?: string;
	readonly value?: string;
	/** 1-based line in the delta file. */
	readonly line: number;
}

const PREFIX: Record<string, UciDeltaOp> = { '+': 'add', '-': 'delete', '@': 'rename', '^': 'reorder', '|': 'list-add', '~': 'list-delete' };

/** The entries libuci would replay; lines it would skip as bad are skipped here too. */
export function parseUciDelta(text: string): UciDeltaEntry[] {
	const out: UciDeltaEntry[] = [];
	const lx = new UciLexer(text, 'delta');
	while (lx.nextLine()) {
		const line = lx.line;
		let op: UciDeltaOp = 'set';
		const first = text[lx.pos] ?? '';
		if (Object.hasOwn(PREFIX, first)) {
			op = PREFIX[first]!;
			lx.pos++;
		}
		let arg: string;
		try {
			arg = lx.arg(false);
		} catch {
			continue;
		}
		const eq = arg.indexOf('=');
		const path = eq < 0 ? arg : arg.slice(0, eq);
		const value = eq < 0 ? undefined : arg.slice(eq + 1);
		const parts = path.split('.');
		if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) continue;
		if ((op === 'set' || op === 'add' || op === 'rename' || op === 'reorder' || op === 'list-add' || op === 'list-delete') && value === undefined) continue;
		out.push({ op, package: parts[0]!, section: parts[1]!, ...(parts[2] === undefined ? {} : { option: parts[2] }), ...(value === undefined ? {} : { value }), line });
	}
	return out;
}

/**
 * True when a delta file holds anything that is not blank. Deliberately stricter than libuci
 * (which skips lines it cannot parse): before overwriting a config, any content means "ask first".
 * `null` (no file) means no pending changes.
 */
export function hasPendingUciChanges(deltaText: string | null): boolean {
	return deltaText !== null && /\S/.test(deltaText);
}
