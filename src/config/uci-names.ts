// Section naming as libuci does it: generated cfgXXXXXX names for anonymous sections, @type[i]
// ids, and lookups by name or extended syntax.

import type { UciPackage, UciSection } from './uci-types.ts';

/** libuci's name for the n-th section (counting from 1) when it is anonymous: cfg + %02x + %04x. */
export function anonymousName(n: number, type: string): string {
	let h = 5381;
	for (let i = 0; i < type.length; i++) h = (Math.imul(h, 33) + type.charCodeAt(i)) >>> 0;
	h = (h & 0x7fffffff) % 65536;
	return `cfg${n.toString(16).padStart(2, '0')}${h.toString(16).padStart(4, '0')}`;
}

/** Gives every section its `uci show` id: the name, or @type[i]. */
export function assignIds(sections: readonly UciSection[]): void {
	const seen = new Map<string, number>();
	for (const s of sections) {
		const i = seen.get(s.type) ?? 0;
		seen.set(s.type, i + 1);
		s.id = s.anonymous ? `@${s.type}[${i}]` : s.name;
	}
}

const EXTENDED = /^@([^[\]]*)\[(-?\d+)\]$/;

/** A section by name (cfgXXXXXX included), @type[i], @type[-i] or @[i]; undefined if there is none. */
export function findSection(pkg: UciPackage, ref: string): UciSection | undefined {
	const m = EXTENDED.exec(ref);
	if (!m) return pkg.sections.find((s) => s.name === ref);
	const list = m[1] === '' ? pkg.sections : pkg.sections.filter((s) => s.type === m[1]);
	const i = Number(m[2]);
	return list[i < 0 ? list.length + i : i];
}

/** The option of that name in a section, if set. */
export function findOption(section: UciSection, name: string) {
	return section.options.find((o) => o.name === name);
}
