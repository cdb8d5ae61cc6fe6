// UciEdit[] applied to UCI text without disturbing anything else: every line an edit does not
// touch (comments, blank lines, quoting, order) stays byte-identical. libuci itself drops comments
// on write, so this is what lets ha-router edit /etc/config/network in place.

import type { UciEdit } from '../model/uci-edit.ts';
import { quoteUci } from './uci-export.ts';
import { validName } from './uci-lexer.ts';
import { findOption, findSection } from './uci-names.ts';
import { parseUci } from './uci-parse.ts';
import type { UciPackage, UciSection, UciStatement } from './uci-types.ts';

/** A UciEdit that cannot be applied (bad name, missing section, a line holding several commands). */
export class UciEditError extends Error {
	constructor(
		readonly file: string,
		edit: UciEdit,
		why: string,
	) {
		super(`${file}: cannot apply ${describe(edit)}: ${why}`);
		this.name = 'UciEditError';
	}
}

function describe(e: UciEdit): string {
	switch (e.op) {
		case 'section':
			return `section ${e.type} '${e.name}'`;
		case 'set':
			return `set ${e.section}.${e.option}`;
		case 'list':
			return `list ${e.section}.${e.option}`;
		case 'delete':
			return `delete ${e.section}${e.option === undefined ? '' : `.${e.option}`}`;
	}
}

/** Applies the edits in order; each one sees the result of the previous ones. Pure. */
export function applyUciEdits(text: string, file: string, edits: readonly UciEdit[]): string {
	for (const edit of edits) text = applyOne(text, file, edit);
	return text;
}

interface Splice {
	from: number;
	to: number;
	insert: string;
}

const TYPE = /^[A-Za-z0-9_-]+$/;

function applyOne(text: string, file: string, edit: UciEdit): string {
	const fail = (why: string): never => {
		throw new UciEditError(file, edit, why);
	};
	const pkg = parseUci(text, file);
	if (edit.op === 'section') {
		if (!TYPE.test(edit.type)) fail(`section type '${edit.type}' must match [A-Za-z0-9_-]+`);
		if (!validName(edit.name)) fail(`section name '${edit.name}' must match [A-Za-z0-9_]+`);
		const old = pkg.sections.find((s) => s.name === edit.name && !s.anonymous);
		if (old) {
			if (old.type !== edit.type) fail(`section '${edit.name}' exists with type '${old.type}' (line ${old.line})`);
			return text;
		}
		const eol = lineBreak(text, text.length);
		let head = text;
		if (head !== '' && !head.endsWith('\n')) head += eol;
		if (head !== '' && !blankLineBefore(head, head.length)) head += eol;
		return `${head}config ${edit.type} ${quoteUci(edit.name)}${eol}`;
	}

	const sec = findSection(pkg, edit.section);
	if (edit.op === 'delete') {
		if (!sec) return text;
		if (edit.option === undefined) return splice(text, deleteSection(pkg, sec, fail));
		const opt = findOption(sec, edit.option);
		if (!opt) return text;
		return splice(text, opt.statements.map((i) => removeLines(pkg, pkg.statements[i]!, fail)));
	}

	if (!validName(edit.option)) fail(`option name '${edit.option}' must match [A-Za-z0-9_]+`);
	if (!sec) return fail(`no section '${edit.section}'`);
	const opt = findOption(sec, edit.option);
	const values = edit.op === 'set' ? (edit.value === '' ? [] : [edit.value]) : edit.values;
	if (values.some((v) => v.includes('\0'))) fail('the value holds a NUL byte, which a UCI file cannot store');
	const isList = edit.op === 'list';
	if (values.length === 0) {
		if (!opt) return text;
		return splice(text, opt.statements.map((i) => removeLines(pkg, pkg.statements[i]!, fail)));
	}
	if (opt && opt.isList === isList && sameValues(opt.values, values)) return text;

	const cmd = isList ? 'list' : 'option';
	const lines = values.map((v) => `${cmd} ${edit.option} ${quoteUci(v)}`);
	const ops: Splice[] = [];
	if (opt) {
		// Rewrite the command that holds the option's place, so a reload keeps option order.
		const anchor = pkg.statements[opt.anchor]!;
		if (anchor.shared) fail(`line ${anchor.line} holds several commands separated by ';'`);
		const indent = indentOf(text, anchor.start);
		ops.push({ from: anchor.start, to: anchor.end, insert: lines[0]! });
		if (lines.length > 1) {
			const at = lineEnd(text, anchor.end);
			const eol = lineBreak(text, at);
			const nl = text.charCodeAt(at - 1) === 10 ? '' : eol;
			ops.push({ from: at, to: at, insert: nl + lines.slice(1).map((l) => `${indent}${l}${eol}`).join('') });
		}
		for (const i of opt.statements) if (i !== opt.anchor) ops.push(removeLines(pkg, pkg.statements[i]!, fail));
	} else {
		// New options go after the section's last command, as libuci appends them.
		const last = pkg.statements[sec.statements[sec.statements.length - 1]!]!;
		if (last.shared) fail(`line ${last.endLine} holds several commands separated by ';'`);
		const indent = last.command === 'config' ? '\t' : indentOf(text, last.start);
		const at = lineEnd(text, last.end);
		const eol = lineBreak(text, at);
		const nl = text.charCodeAt(at - 1) === 10 ? '' : eol;
		ops.push({ from: at, to: at, insert: nl + lines.map((l) => `${indent}${l}${eol}`).join('') });
	}
	return splice(text, ops);
}

function sameValues(a: readonly string[], b: readonly string[]): boolean {
	return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The line ending of the line that ends at `at` (or of the file's first line): CRLF files stay CRLF. */
function lineBreak(text: string, at: number): string {
	const nl = at > 0 && text.charCodeAt(at - 1) === 10 ? at - 1 : text.indexOf('\n');
	return nl > 0 && text.charCodeAt(nl - 1) === 13 ? '\r\n' : '\n';
}

function lineStart(text: string, at: number): number {
	return text.lastIndexOf('\n', at - 1) + 1;
}

function lineEnd(text: string, at: number): number {
	const nl = text.indexOf('\n', at);
	return nl < 0 ? text.length : nl + 1;
}

function indentOf(text: string, at: number): string {
	return text.slice(lineStart(text, at), at);
}

/** The whole lines a statement occupies, trailing comment included. */
function removeLines(pkg: UciPackage, st: UciStatement, fail: (why: string) => never): Splice {
	if (st.shared) fail(`line ${st.line} holds several commands separated by ';'`);
	return { from: lineStart(pkg.text, st.start), to: lineEnd(pkg.text, st.end), insert: '' };
}

/**
 * Each block of the section (a repeated named section has several) goes from its `config` line to
 * its last command; comments inside go with it. One blank line that would double up is dropped.
 */
function deleteSection(pkg: UciPackage, sec: UciSection, fail: (why: string) => never): Splice[] {
	const text = pkg.text;
	const mine = new Set(sec.statements);
	const ops: Splice[] = [];
	let block: { from: number; to: number } | null = null;
	const close = () => {
		if (!block) return;
		for (let i = 0; i < pkg.statements.length; i++) {
			const st = pkg.statements[i]!;
			if (!mine.has(i) && st.end > block.from && st.start < block.to) fail(`line ${st.line} mixes it with another section's commands`);
		}
		const from = block.from;
		let to = block.to;
		const next = lineEnd(text, to);
		if ((from === 0 || blankLineBefore(text, from)) && next > to && isBlank(text, to, next)) to = next;
		ops.push({ from, to, insert: '' });
		block = null;
	};
	for (const i of sec.statements) {
		const st = pkg.statements[i]!;
		if (st.command === 'config') {
			close();
			block = { from: lineStart(text, st.start), to: lineEnd(text, st.end) };
		} else if (block) {
			block.to = lineEnd(text, st.end);
		}
	}
	close();
	return ops;
}

function isBlank(text: string, from: number, to: number): boolean {
	for (let i = from; i < to; i++) {
		const c = text.charCodeAt(i);
		if (c !== 32 && c !== 9 && c !== 13 && c !== 10) return false;
	}
	return true;
}

/** The line that ends just before `at` (a line start) holds only blanks. */
function blankLineBefore(text: string, at: number): boolean {
	if (at === 0) return false;
	return isBlank(text, lineStart(text, at - 1), at);
}

function splice(text: string, ops: readonly Splice[]): string {
	const sorted = [...ops].sort((a, b) => b.from - a.from || b.to - a.to);
	let out = text;
	let limit = Infinity;
	for (const op of sorted) {
		if (op.to > limit) continue; // overlapping removals (two commands on one line) are applied once
		out = out.slice(0, op.from) + op.insert + out.slice(op.to);
		limit = op.from;
	}
	return out;
}
