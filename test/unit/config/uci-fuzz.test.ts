// Property tests with a seeded PRNG (a failure prints its seed; rerun with UCI_FUZZ_SEED=<seed>).
// Default: 2 500 edit sequences and 2 500 garbage inputs. The long run (100 000 each):
//   UCI_FUZZ_CASES=100000 npx vitest run test/unit/config/uci-fuzz.test.ts
import { describe, expect, it } from 'vitest';
import { applyUciEdits } from '../../../src/config/apply-uci-edits.ts';
import { exportUci } from '../../../src/config/uci-export.ts';
import { parseUci } from '../../../src/config/uci-parse.ts';
import { UciSyntaxError, type UciPackage } from '../../../src/config/uci-types.ts';
import { type DataSection, join, pick, prng, randData, randEdit, render, type Rng } from './uci-gen.ts';

const CASES = Number(process.env['UCI_FUZZ_CASES'] ?? 2500);
const FIRST = Number(process.env['UCI_FUZZ_SEED'] ?? 1);
const ONLY = process.env['UCI_FUZZ_SEED'] !== undefined;
const seeds = ONLY ? [FIRST] : Array.from({ length: CASES }, (_, i) => FIRST + i);

const shape = (p: UciPackage) => p.sections.map((s) => ({ type: s.type, name: s.anonymous ? null : s.name, options: s.options.map((o) => ({ name: o.name, isList: o.isList, values: o.values })) }));
const expectShape = (d: readonly DataSection[]) => d.map((s) => ({ type: s.type, name: s.name, options: s.options.map((o) => ({ name: o.name, isList: o.isList, values: o.values })) }));

function editCase(seed: number): void {
	const r = prng(seed);
	const data = randData(r);
	const lines = render(r, data);
	const text = join(lines, r);
	expect(shape(parseUci(text, 'f')), 'generated file parses to its data').toEqual(expectShape(data));

	const touched = { sections: new Set<number>(), options: new Set<string>() };
	const next = { n: data.length };
	const edits = Array.from({ length: 1 + Math.floor(r() * 6) }, () => randEdit(r, data, touched, next));
	const out = applyUciEdits(text, 'f', edits);
	expect(shape(parseUci(out, 'f')), 'edited file parses to the edited data').toEqual(expectShape(data));

	// Every untouched non-blank line is still there, unchanged and in order.
	const outLines = out.split('\n');
	let at = 0;
	for (const l of lines) {
		if (l.text.trim() === '' || (l.sec !== null && (touched.sections.has(l.sec) || (l.opt !== null && touched.options.has(`${l.sec}/${l.opt}`))))) continue;
		while (at < outLines.length && outLines[at] !== l.text) at++;
		expect(at, `untouched line ${JSON.stringify(l.text)} kept`).toBeLessThan(outLines.length);
		at++;
	}
	// No edit at all keeps every byte; canonical export is stable.
	expect(applyUciEdits(text, 'f', [])).toBe(text);
	const canon = exportUci(parseUci(out, 'f'), { packageName: 'p' });
	expect(exportUci(parseUci(canon, 'f'), { packageName: 'p' })).toBe(canon);
}

const GARBAGE: readonly string[] = ['config', 'c', 'option', 'o', 'list', 'l', 'package', 'p', ' ', ' ', '\t', '\n', '\n', '\r\n', "'", '"', '\\', '#', ';', 'a', 'name', 'my-type', '-', '=', 'é', '\\\n', "''", '""', '0', '@', '[', ']', 'cfg'];

function garbage(r: Rng): string {
	let s = '';
	for (let i = Math.floor(r() * 40); i > 0; i--) s += r() < 0.15 ? pick(r, ['config t', "\toption a 'b'", "list x ''", 'config t n']) + '\n' : pick(r, GARBAGE);
	return s;
}

function garbageCase(seed: number): void {
	const r = prng(seed);
	const text = garbage(r);
	let pkg: UciPackage;
	try {
		pkg = parseUci(text, 'g');
	} catch (e) {
		expect(e, JSON.stringify(text)).toBeInstanceOf(UciSyntaxError);
		const err = e as UciSyntaxError;
		expect(err.line).toBeGreaterThanOrEqual(1);
		expect(err.line).toBeLessThanOrEqual(text.split('\n').length);
		expect(err.column).toBeGreaterThanOrEqual(1);
		expect(err.reason.length).toBeGreaterThan(0);
		return;
	}
	// uci export writes types bare, so (like libuci) only types without quoting characters survive a re-read.
	if (pkg.sections.some((s) => /['"\\#;]/.test(s.type))) return;
	const canon = exportUci(pkg, { packageName: 'g' });
	expect(exportUci(parseUci(canon, 'g'), { packageName: 'g' }), JSON.stringify(text)).toBe(canon);
}

describe(`UCI properties (${seeds.length} seeds from ${FIRST})`, () => {
	it('random edit sequences keep untouched lines and re-parse to the edited data', () => {
		for (const seed of seeds) {
			try {
				editCase(seed);
			} catch (e) {
				throw new Error(`edit case failed with UCI_FUZZ_SEED=${seed}: ${(e as Error).message}`);
			}
		}
	}, 600_000);

	it('random garbage parses or fails with a positioned UciSyntaxError, never anything else', () => {
		let errors = 0;
		for (const seed of seeds) {
			try {
				garbageCase(seed);
			} catch (e) {
				throw new Error(`garbage case failed with UCI_FUZZ_SEED=${seed}: ${(e as Error).message}`);
			}
			errors++;
		}
		expect(errors).toBe(seeds.length);
	}, 600_000);
});
