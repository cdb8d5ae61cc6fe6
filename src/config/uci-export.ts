// Canonical UCI text, byte-identical to libuci's uci_export_package: what `uci export` prints
// (with the package line) and what `uci commit` writes (without it).

import type { UciPackage } from './uci-types.ts';

/** A value in single quotes; an embedded ' becomes '\'' as uci_escape writes it. */
export function quoteUci(value: string): string {
	return `'${escapeUci(value)}'`;
}

function escapeUci(s: string): string {
	return s.includes("'") ? s.replaceAll("'", "'\\''") : s;
}

export interface ExportOptions {
	/** Print `package <name>` first, as `uci export` does; omit for the file `uci commit` writes. */
	readonly packageName?: string;
	/** Name anonymous sections too (`uci -X`-style cfgXXXXXX names), as the EXPORT_NAME flag does. */
	readonly names?: boolean;
}

export function exportUci(pkg: Pick<UciPackage, 'sections'>, opts: ExportOptions = {}): string {
	let out = opts.packageName === undefined ? '' : `package ${escapeUci(opts.packageName)}\n`;
	for (const s of pkg.sections) {
		out += `\nconfig ${escapeUci(s.type)}`;
		if (!s.anonymous || opts.names) out += ` '${escapeUci(s.name)}'`;
		out += '\n';
		for (const o of s.options) {
			const cmd = o.isList ? 'list' : 'option';
			for (const v of o.values) out += `\t${cmd} ${escapeUci(o.name)} '${escapeUci(v)}'\n`;
		}
	}
	return `${out}\n`;
}
