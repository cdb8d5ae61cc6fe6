// UCI text -> UciPackage, with libuci's strict-mode semantics (file.c, list.c): the first syntax
// error throws a UciSyntaxError with file, line and column.

import { UciLexer, validType } from './uci-lexer.ts';
import { anonymousName, assignIds } from './uci-names.ts';
import { type UciCommand, type UciOption, type UciPackage, type UciSection, type UciStatement, UciSyntaxError } from './uci-types.ts';

function commandOf(word: string): UciCommand | null {
	switch (word) {
		case 'option':
		case 'o':
			return 'option';
		case 'list':
		case 'l':
			return 'list';
		case 'config':
		case 'c':
			return 'config';
		case 'package':
		case 'p':
			return 'package';
		default:
			return null;
	}
}

/**
 * libuci reads a line with fgets, then measures it with strlen: from a NUL on, the rest of the line
 * is dropped and the next one joined on. Such a file means something else to uci than it shows.
 */
function refuseNul(text: string, file: string): void {
	const at = text.indexOf('\0');
	if (at < 0) return;
	const start = text.lastIndexOf('\n', at) + 1;
	throw new UciSyntaxError(file, countLinesBetween(text, 0, start) + 1, at - start + 1, 'NUL byte: libuci stops reading the line there; remove it');
}

export function parseUci(text: string, file: string): UciPackage {
	refuseNul(text, file);
	const lx: UciLexer = new UciLexer(text, file);
	const sections: UciSection[] = [];
	const statements: UciStatement[] = [];
	const byName = new Map<string, UciSection>();
	let current: UciSection | null = null;
	let currentIndex = -1;
	let counter = 0;

	const record = (command: UciCommand, start: number, line: number, name?: string): void => {
		const st: UciStatement = {
			command,
			start,
			end: Math.max(lx.wordEnd, start),
			line,
			endLine: lx.line,
			section: command === 'package' ? -1 : currentIndex,
			name,
			shared: lx.semicolon,
		};
		const prev = statements[statements.length - 1];
		if (prev && prev.endLine >= line) prev.shared = st.shared = true;
		statements.push(st);
	};

	while (lx.nextLine()) {
		lx.skipSpace();
		for (;;) {
			const kw = lx.keyword();
			if (!kw || kw.word.charCodeAt(0) === 35) break;
			const command = commandOf(kw.word);
			if (!command) lx.fail('invalid command', kw.start);
			if ((command === 'option' || command === 'list') && !current) lx.fail('option/list command found before the first section', kw.start);
			// strtok cut the keyword with a NUL; libuci steps over it and fails if the line ended there.
			if (kw.stop + 1 > lx.filled) lx.fail(`${command === 'list' ? 'option' : command} without name`, kw.start);
			lx.pos = kw.stop + 1;
			lx.wordEnd = kw.stop;
			lx.semicolon = false;
			const line = kw.start >= lx.lineStart ? lx.line : lx.line - countLinesBetween(text, kw.start, lx.lineStart);

			if (command === 'package') {
				lx.arg(true, 'package');
				lx.eol();
				record(command, kw.start, line);
			} else if (command === 'config') {
				const typeAt = (lx.skipSpace(), lx.pos);
				const type = lx.arg(true);
				if (!validType(type)) lx.fail('invalid character in type field', typeAt);
				const name = lx.arg(false, 'name');
				lx.eol();
				let sec = name === '' ? undefined : byName.get(name);
				if (sec && sec.type !== type) lx.fail('section of different type overwrites prior section with same name', kw.start);
				if (!sec) {
					counter++;
					sec = { type, name: name || anonymousName(counter, type), anonymous: name === '', id: '', line, options: [], statements: [] };
					sections.push(sec);
					if (name) byName.set(name, sec);
				}
				current = sec;
				currentIndex = sections.indexOf(sec);
				sec.statements.push(statements.length);
				record(command, kw.start, line);
			} else {
				const name = lx.arg(true, 'name');
				const value = lx.arg(false);
				lx.eol();
				const index = statements.length;
				record(command, kw.start, line, name);
				const sec = current!;
				sec.statements.push(index);
				addValue(sec, command === 'list', name, value, index, line);
			}
		}
	}
	assignIds(sections);
	return { file, text, sections, statements };
}

/**
 * libuci's uci_set / uci_add_list on a section while loading. Since late 2022 (OpenWrt 23.05) a
 * changed option is re-created where it stands, not at the end (docs/config.md).
 */
function addValue(sec: UciSection, list: boolean, name: string, value: string, index: number, line: number): void {
	const at = sec.options.findIndex((o) => o.name === name);
	const old = at < 0 ? undefined : sec.options[at]!;
	if (!list) {
		// An empty value sets nothing, even over an existing option (no LOOKUP_COMPLETE while parsing).
		if (value === '') return;
		if (old && !old.isList && old.values[0] === value) {
			old.statements.push(index);
			return;
		}
	} else if (old && old.isList) {
		old.values.push(value);
		old.statements.push(index);
		return;
	}
	const opt: UciOption = {
		name,
		isList: list,
		values: list && old ? [old.values[0]!, value] : [value],
		line,
		anchor: old ? old.anchor : index,
		statements: old ? [...old.statements, index] : [index],
	};
	if (old) sec.options[at] = opt;
	else sec.options.push(opt);
}

function countLinesBetween(text: string, from: number, to: number): number {
	let n = 0;
	for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++;
	return n;
}
