// Seeded generators for UCI property tests: random files in every quoting style libuci reads,
// with each line tagged by the section/option it belongs to, plus random edits and their meaning
// on plain data (an independent model of what applyUciEdits must do).
import type { UciEdit } from '../../../src/model/uci-edit.ts';

/** mulberry32: small, fast, reproducible. */
export function prng(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export type Rng = () => number;
export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rng, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

export interface DataOption {
	name: string;
	isList: boolean;
	values: string[];
}
export interface DataSection {
	key: number;
	type: string;
	name: string | null;
	options: DataOption[];
}

const TYPES = ['interface', 'rule', 'zone', 't', 'my-type', 'device', 'x.y'];
const NAME_CHARS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_'];
const VALUE_PARTS = ['a', 'b', 'lan', '192.168.1.1', '/24', ' ', '  ', "'", '"', '\\', '#', ';', '$', '\t', '\n', 'é', 'ü', '日本', '-', '=', '@', '%', ':', 'x y', '\\n', "it's"];

export function randName(r: Rng): string {
	let s = '';
	for (let i = int(r, 1, 8); i > 0; i--) s += pick(r, NAME_CHARS);
	return s;
}

export function randValue(r: Rng, allowEmpty: boolean): string {
	let s = '';
	for (let i = int(r, allowEmpty ? 0 : 1, 5); i > 0; i--) s += pick(r, VALUE_PARTS);
	return s;
}

export function randData(r: Rng): DataSection[] {
	const out: DataSection[] = [];
	const names = new Set<string>();
	for (let i = int(r, 0, 6); i > 0; i--) {
		let name: string | null = r() < 0.3 ? null : randName(r);
		if (name !== null && names.has(name)) name = null;
		if (name !== null) names.add(name);
		const options: DataOption[] = [];
		const onames = new Set<string>();
		for (let j = int(r, 0, 6); j > 0; j--) {
			const oname = randName(r);
			if (onames.has(oname)) continue;
			onames.add(oname);
			const isList = r() < 0.3;
			options.push({ name: oname, isList, values: isList ? Array.from({ length: int(r, 1, 3) }, () => randValue(r, true)) : [randValue(r, false)] });
		}
		out.push({ key: out.length, type: pick(r, TYPES), name, options });
	}
	return out;
}

/** A word that libuci decodes to `v`, in a random style. */
export function encode(r: Rng, v: string): string {
	const style = r();
	if (v !== '' && !/[\n]/.test(v) && style < 0.25) return v.replace(/[\s'"#;\\]/g, (c) => `\\${c}`);
	if (style < 0.5) return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
	if (style < 0.75 || v.length < 2) return `'${v.replaceAll("'", "'\\''")}'`;
	const cut = int(r, 1, v.length - 1);
	return encode(r, v.slice(0, cut)) + `'${v.slice(cut).replaceAll("'", "'\\''")}'`;
}

export interface Line {
	text: string;
	/** Section key and option name the line belongs to; null before the first section. */
	sec: number | null;
	opt: string | null;
}

const ws = (r: Rng) => pick(r, [' ', ' ', '\t', '  ', ' \t']);
const comment = (r: Rng) => `#${randValue(r, true).replace(/\n/g, ' ')}`;

export function render(r: Rng, data: readonly DataSection[]): Line[] {
	const lines: Line[] = [];
	const extra = (sec: number | null) => {
		while (r() < 0.25) lines.push({ text: r() < 0.5 ? pick(r, ['', ' ', '\t']) : `${pick(r, ['', '\t', '  '])}${comment(r)}`, sec, opt: null });
	};
	extra(null);
	for (const s of data) {
		const kw = r() < 0.8 ? 'config' : 'c';
		const name = s.name === null ? (r() < 0.2 ? `${ws(r)}''` : '') : `${ws(r)}${r() < 0.7 ? `'${s.name}'` : s.name}`;
		lines.push({ text: `${kw}${ws(r)}${r() < 0.8 ? s.type : `"${s.type}"`}${name}${r() < 0.1 ? ` ${comment(r)}` : ''}`, sec: s.key, opt: null });
		extra(s.key);
		for (const o of s.options) {
			for (const v of o.values) {
				const kw2 = o.isList ? (r() < 0.8 ? 'list' : 'l') : r() < 0.8 ? 'option' : 'o';
				const tail = r() < 0.15 ? `${ws(r)}${comment(r)}` : r() < 0.1 ? ' ' : '';
				const text = `${pick(r, ['\t', '\t', '', '  ', '\t\t'])}${kw2}${ws(r)}${r() < 0.9 ? o.name : `'${o.name}'`}${ws(r)}${encode(r, v)}${tail}`;
				for (const physical of text.split('\n')) lines.push({ text: physical, sec: s.key, opt: o.name });
			}
			extra(s.key);
		}
	}
	return lines;
}

export const join = (lines: readonly Line[], r: Rng) => lines.map((l) => l.text).join('\n') + (r() < 0.9 ? '\n' : '');

/** A section ref as an edit would name it: its name, or @type[i] / @type[-n] if anonymous. */
function refOf(r: Rng, data: readonly DataSection[], s: DataSection): string {
	if (s.name !== null) return s.name;
	const same = data.filter((x) => x.type === s.type);
	const i = same.indexOf(s);
	return r() < 0.5 ? `@${s.type}[${i}]` : `@${s.type}[${i - same.length}]`;
}

export interface Touched {
	sections: Set<number>;
	options: Set<string>;
}

/** A random applicable edit; applies it to `data` and records what it touched. */
export function randEdit(r: Rng, data: DataSection[], touched: Touched, nextKey: { n: number }): UciEdit {
	const s = data.length > 0 ? pick(r, data) : undefined;
	const roll = r();
	if (!s || roll < 0.1) {
		let name = randName(r);
		while (data.some((x) => x.name === name)) name += '_';
		const type = pick(r, TYPES.filter((t) => /^[A-Za-z0-9_-]+$/.test(t)));
		data.push({ key: nextKey.n++, type, name, options: [] });
		return { op: 'section', type, name };
	}
	const ref = refOf(r, data, s);
	if (roll < 0.18) {
		data.splice(data.indexOf(s), 1);
		touched.sections.add(s.key);
		return { op: 'delete', section: ref };
	}
	const existing = s.options.length > 0 && r() < 0.7 ? pick(r, s.options) : undefined;
	const name = existing?.name ?? randName(r);
	touched.options.add(`${s.key}/${name}`);
	const at = s.options.findIndex((o) => o.name === name);
	const put = (o: DataOption | null) => {
		if (o === null) {
			if (at >= 0) s.options.splice(at, 1);
		} else if (at >= 0) s.options[at] = o;
		else s.options.push(o);
	};
	if (roll < 0.3) {
		put(null);
		return { op: 'delete', section: ref, option: name };
	}
	if (roll < 0.65) {
		const value = r() < 0.1 ? '' : randValue(r, false);
		put(value === '' ? null : { name, isList: false, values: [value] });
		return { op: 'set', section: ref, option: name, value };
	}
	const values = Array.from({ length: int(r, 0, 3) }, () => randValue(r, true));
	put(values.length === 0 ? null : { name, isList: true, values });
	return { op: 'list', section: ref, option: name, values };
}
