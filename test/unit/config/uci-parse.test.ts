// libuci's parsing rules, case by case from reference/runtime-protocols.md 3.2-3.8 (verified with
// real uci): each case gives the file text and what `uci export` prints for it, or the error.
import { describe, expect, it } from 'vitest';
import { exportUci } from '../../../src/config/uci-export.ts';
import { findSection } from '../../../src/config/uci-names.ts';
import { parseUci } from '../../../src/config/uci-parse.ts';
import { UciSyntaxError } from '../../../src/config/uci-types.ts';

const exp = (text: string) => exportUci(parseUci(text, 'f'), { packageName: 'p' });
const one = (line: string) => exp(`config t 's'\n${line}\n`);
const body = (...lines: string[]) => `package p\n\nconfig t 's'\n${lines.map((l) => `\t${l}\n`).join('')}\n`;

function syntaxError(text: string): UciSyntaxError {
	try {
		parseUci(text, '/etc/config/x');
	} catch (e) {
		if (e instanceof UciSyntaxError) return e;
		throw e;
	}
	throw new Error('parsed without error');
}

describe('values (reference 3.8)', () => {
	it.each([
		['option input ACCEPT', "option input 'ACCEPT'"],
		[`option conc 'abc'"def"ghi`, "option conc 'abcdefghi'"],
		[`option sq 'it'\\''s'`, `option sq 'it'\\''s'`],
		[`option e "a'b"`, `option e 'a'\\''b'`],
		[`option f 'a"b'`, `option f 'a"b'`],
		[`option dq "say \\"hi\\" \\\\ back"`, `option dq 'say "hi" \\ back'`],
		['option c "x\\ny"', "option c 'xny'"],
		["option b 'x\\y'", "option b 'x\\y'"],
		['option g "\\$x \\a"', "option g '$x a'"],
		['option bs unq\\uoted', "option bs 'unquoted'"],
		['option a long\\\ncontinued', "option a 'longcontinued'"],
		['option a3 "q\\\nr"', "option a3 'qr'"],
		["option a2 'q\\\nr'", "option a2 'q\\\nr'"],
		["option multi 'line1\nline2'", "option multi 'line1\nline2'"],
		["option hash 'a#b'", "option hash 'a#b'"],
		['option hash2 a#b', "option hash2 'a'"],
		["list network 'wlan0'   # trailing comment", "list network 'wlan0'"],
		["option u 'héllo wörld'", "option u 'héllo wörld'"],
		['list b', "list b ''"],
		["o short 'letter'", "option short 'letter'"],
		["l short 'letter'", "list short 'letter'"],
		["option semi 'x'; option after 'y'", "option semi 'x'\n\toption after 'y'"],
	])('%j', (line, out) => {
		expect(one(line)).toBe(body(out));
	});

	it('creates nothing for empty values, even over an existing option', () => {
		expect(one("option empty ''\n\toption a")).toBe(body());
		expect(one("option a '1'\n\toption a ''")).toBe(body("option a '1'"));
	});
	// libuci since late 2022 (OpenWrt 23.05): uci_set and uci_add_list replace a changed option where it stands.
	it('keeps a changed option in its place and turns option + list into a list there', () => {
		expect(one('option a 1\n\toption b 2\n\toption a 3\n\tlist b 4')).toBe(body("option a '3'", "list b '2'", "list b '4'"));
		expect(one('option a 1\n\toption b 2\n\toption a 3')).toBe(body("option a '3'", "option b '2'"));
		expect(one('option a 1\n\toption b 2\n\toption a 1')).toBe(body("option a '1'", "option b '2'"));
		expect(one('list a 1\n\tlist a 2\n\toption c 5\n\toption a 3')).toBe(body("option a '3'", "option c '5'"));
		expect(one('option a 1\n\toption b 2\n\tlist a 3')).toBe(body("list a '1'", "list a '3'", "option b '2'"));
	});
	it('points an option at the line that set its value, and keeps its place at the first', () => {
		const pkg = parseUci("config t 's'\n\toption a 1\n\toption b 2\n\toption a 3\n", 'f');
		const a = pkg.sections[0]!.options[0]!;
		expect([a.name, a.line, pkg.statements[a.anchor]!.line]).toEqual(['a', 4, 2]);
	});
	it('parses CRLF files and unindented lines', () => {
		expect(exp("config t 's'\r\noption a 'b'\r\n\r\n")).toBe(body("option a 'b'"));
	});
	it('loses the rest of a line after a ; that follows an unquoted word, as libuci does', () => {
		expect(exp('c rule r1; o name short\n')).toBe("package p\n\nconfig rule 'r1'\n\n");
	});
	it('merges a repeated named section into its first place', () => {
		expect(exp("config a 'x'\n\toption o 1\nconfig b\nconfig a 'x'\n\toption p 2\n")).toBe(
			"package p\n\nconfig a 'x'\n\toption o '1'\n\toption p '2'\n\nconfig b\n\n",
		);
	});
});

describe('syntax errors carry libuci reasons and positions', () => {
	it.each([
		["config t 's'\n\toption a long\\\n continued\n", 3, 2, 'too many arguments'],
		["config t 's'\n\toption a 'b' 'c'\n", 2, 15, 'too many arguments'],
		["config 'my type' 'n'\n", 1, 8, 'invalid character in type field'],
		["config my-type 'n-1'\n", 1, 16, 'invalid character in name field'],
		["config t 's'\n\toption my-opt 1\n", 2, 9, 'invalid character in name field'],
		['c rule ; o name short\n', 1, 10, 'too many arguments'],
		['config\n', 1, 1, 'invalid command'],
		['config', 1, 1, 'config without name'],
		['config \n', 1, 8, 'insufficient arguments'],
		["config t 's'\n\toption\n", 2, 2, 'invalid command'],
		["config t 's'\n\toption \n", 2, 9, 'insufficient arguments'],
		['option a b\n', 1, 1, 'option/list command found before the first section'],
		["# c\nconfig t 'x'\n\toption a 'unterminated\n\n", 3, 11, "EOF with unterminated '"],
		["config t 'x'\n\toption a \"open\n", 2, 11, 'EOF with unterminated "'],
		["config t 'x'\n\toption a 'x';\n", 2, 15, 'invalid command'],
		["config t 'x'\nconfig u 'x'\n", 2, 1, 'section of different type overwrites prior section with same name'],
		['cfg t\n', 1, 1, 'invalid command'],
		["package 'a b'\n", 1, 9, 'invalid character in name field'],
		// libuci reads a line with fgets and then strlen: a NUL silently drops the rest of the line.
		["config t 's'\n\toption a 'x\0y'\n", 2, 13, 'NUL byte: libuci stops reading the line there; remove it'],
		["# a\0b\nconfig t 's'\n", 1, 4, 'NUL byte: libuci stops reading the line there; remove it'],
	])('%j', (text, line, column, reason) => {
		const e = syntaxError(text);
		expect({ line: e.line, column: e.column, reason: e.reason }).toEqual({ line, column, reason });
		expect(e.message).toBe(`/etc/config/x:${line}:${column}: parse error: ${reason}`);
	});
});

describe('sections', () => {
	const pkg = parseUci("config defaults\n\nconfig zone 'lan'\n\toption x 1\nconfig zone\n\nconfig zone\n\toption y 2\n", 'f');
	it('names anonymous sections like libuci (cfg + counter + djb2 of the type)', () => {
		expect(pkg.sections.map((s) => s.name)).toEqual(['cfg01e63d', 'lan', 'cfg03dc81', 'cfg04dc81']);
		expect(parseUci('config t\nconfig item\n', 'f').sections.map((s) => s.name)).toEqual(['cfg01b619', 'cfg029e34']);
	});
	it('gives @type[i] ids that count named sections too', () => {
		expect(pkg.sections.map((s) => s.id)).toEqual(['@defaults[0]', 'lan', '@zone[1]', '@zone[2]']);
	});
	it('finds sections by name, cfg name, @type[i], @type[-1] and @[i]', () => {
		expect(findSection(pkg, 'lan')?.line).toBe(3);
		expect(findSection(pkg, 'cfg03dc81')?.line).toBe(5);
		expect(findSection(pkg, '@zone[0]')?.name).toBe('lan');
		expect(findSection(pkg, '@zone[-1]')?.line).toBe(7);
		expect(findSection(pkg, '@[0]')?.type).toBe('defaults');
		expect(findSection(pkg, '@zone[3]')).toBeUndefined();
		expect(findSection(pkg, 'nope')).toBeUndefined();
	});
	it('exports anonymous sections with their generated names on request, as uci -X does', () => {
		expect(exportUci(parseUci('config defaults\n\toption a 1\n', 'f'), { names: true })).toBe("\nconfig defaults 'cfg01e63d'\n\toption a '1'\n\n");
		expect(exportUci(parseUci('', 'f'), { packageName: 'empty' })).toBe('package empty\n\n');
	});
	it('keeps the line of every section and option', () => {
		const s = pkg.sections[3]!;
		expect([s.line, s.options[0]!.line]).toEqual([7, 8]);
	});
});
