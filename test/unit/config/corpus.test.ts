// Real-world UCI files (OpenWrt defaults of network, firewall, dhcp, keepalived, mwan3) and libuci's
// tricky cases: canonical export against the expected `uci export` text (written by hand from the
// rules in reference/runtime-protocols.md 3.6 and 3.8), and lossless edits that touch one line only.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyUciEdits } from '../../../src/config/apply-uci-edits.ts';
import { exportUci } from '../../../src/config/uci-export.ts';
import { parseUci } from '../../../src/config/uci-parse.ts';

const DIR = new URL('./corpus/', import.meta.url);
const NAMES = readdirSync(DIR).filter((f) => !f.includes('.')).sort();
const read = (f: string) => readFileSync(new URL(f, DIR), 'utf8');

describe('corpus', () => {
	it('holds the expected files', () => expect(NAMES).toEqual(['dhcp', 'firewall', 'keepalived', 'mwan3', 'network', 'tricky']));

	describe.each(NAMES)('%s', (name) => {
		const text = read(name);
		const expected = read(`${name}.export`);

		it('exports exactly as uci export does', () => {
			expect(exportUci(parseUci(text, name), { packageName: name })).toBe(expected);
		});

		it('reads its own export back to the same bytes (commit format too)', () => {
			const commit = expected.slice(expected.indexOf('\n') + 1);
			expect(exportUci(parseUci(expected, name), { packageName: name })).toBe(expected);
			expect(exportUci(parseUci(commit, name))).toBe(commit);
		});

		it('rewriting every option with its own value changes no byte', () => {
			const pkg = parseUci(text, name);
			const edits = pkg.sections.flatMap((s) =>
				s.options.map((o) => (o.isList ? { op: 'list' as const, section: s.id, option: o.name, values: o.values } : { op: 'set' as const, section: s.id, option: o.name, value: o.values[0]! })),
			);
			expect(edits.length).toBeGreaterThan(3);
			expect(applyUciEdits(text, name, edits)).toBe(text);
		});

		it('changes one option on one line and nothing else', () => {
			const pkg = parseUci(text, name);
			const sec = pkg.sections.find((s) => s.options.some((o) => !o.isList && pkg.statements[o.anchor]!.line === pkg.statements[o.anchor]!.endLine && !pkg.statements[o.anchor]!.shared))!;
			const opt = sec.options.find((o) => !o.isList && pkg.statements[o.anchor]!.line === pkg.statements[o.anchor]!.endLine && !pkg.statements[o.anchor]!.shared)!;
			const out = applyUciEdits(text, name, [{ op: 'set', section: sec.id, option: opt.name, value: 'changed' }]);
			const before = text.split('\n');
			const after = out.split('\n');
			expect(after).toHaveLength(before.length);
			const diff = before.map((l, i) => (l === after[i] ? -1 : i)).filter((i) => i >= 0);
			expect(diff).toEqual([opt.line - 1]);
			expect(after[opt.line - 1]).toContain(`${opt.name} 'changed'`);
			const reread = parseUci(out, name).sections.find((s) => s.id === sec.id)!;
			expect(reread.options.find((o) => o.name === opt.name)!.values).toEqual(['changed']);
		});
	});
});
