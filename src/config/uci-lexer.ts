// A line reader and word splitter that behaves like libuci's file.c (parse_str, next_arg,
// assert_eol), including its odd corners: `;` right after an unquoted word cuts the rest of the
// line, an unquoted `#` starts a comment even mid-word, and `\` at the end of a line joins lines.
// libuci works on a line buffer it overwrites; here the text stays whole and `end` marks where
// libuci's buffer would hold its terminating NUL.

import { UciSyntaxError } from './uci-types.ts';

const SP = 32;
const TAB = 9;
const NL = 10;
const CR = 13;
const SQ = 39;
const DQ = 34;
const HASH = 35;
const SEMI = 59;
const BSL = 92;

/** C isspace() in the C locale. */
export function isSpace(c: number): boolean {
	return c === SP || (c >= TAB && c <= CR);
}

// Character classes as tables: a lookup is much cheaper than a call on QuickJS.
const SPACE = new Uint8Array(128);
const PLAIN = new Uint8Array(128).fill(1);
for (const c of [SP, TAB, NL, 11, 12, CR]) {
	SPACE[c] = 1;
	PLAIN[c] = 0;
}
for (const c of [SQ, DQ, HASH, SEMI, BSL, 0]) PLAIN[c] = 0;

/** A character that continues a bare word as itself. */
function isPlain(c: number): boolean {
	return c >= 128 || PLAIN[c] === 1;
}

/** Where the next `ch` is before `end`, or `end` (indexOf is native; QuickJS loops and regexes are not). */
function find(text: string, ch: string, from: number, end: number): number {
	const i = text.indexOf(ch, from);
	return i < 0 || i > end ? end : i;
}

export class UciLexer {
	/** Read position. */
	pos = 0;
	/** Where the current buffer ends for the parser (libuci's NUL); may be cut by `#` or `;`. */
	end = 0;
	/** Where the lines read so far end (libuci's buf_filled). */
	filled = 0;
	/** 1-based number of the physical line being read. */
	line = 0;
	lineStart = 0;
	/** End offset of the last word that consumed characters. */
	wordEnd = 0;
	/** A `;` was met since the flag was last cleared. */
	semicolon = false;
	private wordStart = 0;

	constructor(
		readonly text: string,
		readonly file: string,
	) {}

	cur(): number {
		return this.pos < this.end ? this.text.charCodeAt(this.pos) : 0;
	}

	fail(reason: string, at = this.pos): never {
		// Point at the physical line holding `at`, which may be earlier than the last line read.
		let line = this.line;
		let start = this.lineStart;
		while (at < start && line > 1) {
			start = this.text.lastIndexOf('\n', start - 2) + 1;
			line--;
		}
		// A missing argument is reported at the end of its line, not past the newline.
		const nl = this.text.indexOf('\n', start);
		if (nl >= 0 && at > nl) at = nl;
		throw new UciSyntaxError(this.file, Math.max(line, 1), at - start + 1, reason);
	}

	/** Starts a fresh buffer with the next physical line; false at the end of the text. */
	nextLine(): boolean {
		if (this.filled >= this.text.length) return false;
		this.pos = this.filled;
		this.appendLine();
		return true;
	}

	/** libuci's uci_getln at the current position: the next line continues the buffer at `pos`. */
	private appendLine(): boolean {
		if (this.filled >= this.text.length) {
			this.end = this.pos;
			return false;
		}
		this.lineStart = this.filled;
		const nl = this.text.indexOf('\n', this.filled);
		this.filled = nl < 0 ? this.text.length : nl + 1;
		this.end = this.filled;
		this.line++;
		return true;
	}

	skipSpace(): void {
		const text = this.text;
		const end = this.end;
		let p = this.pos;
		while (p < end) {
			const c = text.charCodeAt(p);
			if (c >= 128 || SPACE[c] === 0) break;
			p++;
		}
		this.pos = p;
	}

	/** After a backslash: true if the next character is escaped, false if it was a line end (joined). */
	private backslash(): boolean {
		this.pos++;
		const c = this.cur();
		if (c === 0 || c === NL || (c === CR && this.pos + 2 === this.end && this.text.charCodeAt(this.pos + 1) === NL)) {
			this.pos = this.filled;
			this.appendLine();
			return false;
		}
		return true;
	}

	private singleQuoted(): string {
		const start = this.pos;
		this.pos++;
		let out = '';
		for (;;) {
			const c = this.cur();
			if (c === SQ) {
				this.pos++;
				return out;
			}
			if (c === 0) {
				if (!this.appendLine() || this.cur() === 0) this.fail("EOF with unterminated '", start);
				continue;
			}
			const j = find(this.text, "'", this.pos, this.end);
			out += this.text.slice(this.pos, j);
			this.pos = j;
		}
	}

	private doubleQuoted(): string {
		const start = this.pos;
		this.pos++;
		let out = '';
		for (;;) {
			const c = this.cur();
			if (c === DQ) {
				this.pos++;
				return out;
			}
			if (c === 0) {
				if (!this.appendLine() || this.cur() === 0) this.fail('EOF with unterminated "', start);
				continue;
			}
			if (c === BSL) {
				if (!this.backslash()) continue;
				out += this.text[this.pos];
				this.pos++;
				continue;
			}
			// Copy up to the next quote or backslash at once: per-character concatenation is slow on QuickJS.
			const j = Math.min(find(this.text, '"', this.pos, this.end), find(this.text, '\\', this.pos, this.end));
			out += this.text.slice(this.pos, j);
			this.pos = j;
		}
	}

	/**
	 * libuci's parse_str: one word made of bare, quoted and escaped parts. Stops at blanks, `#`
	 * (which ends the line) and `;`.
	 */
	private word(): string {
		const fast = this.plainWord();
		if (fast !== null) return fast;
		let out = '';
		// libuci copies characters down in place; while nothing was dropped a `;` gets overwritten
		// by the terminating NUL, which silently ends the line.
		let shifted = false;
		let next = true;
		do {
			const c = this.cur();
			if (c === SQ) {
				out += this.singleQuoted();
				shifted = true;
			} else if (c === DQ) {
				out += this.doubleQuoted();
				shifted = true;
			} else if (c === HASH) {
				this.end = this.pos;
				break;
			} else if (c === 0) {
				break;
			} else if (c === SEMI) {
				next = false;
				this.semicolon = true;
				if (!shifted) this.end = this.pos;
				break;
			} else if (c === BSL) {
				shifted = true;
				if (!this.backslash()) continue;
				out += this.text[this.pos];
				this.pos++;
			} else {
				let j = this.pos + 1;
				while (j < this.end && isPlain(this.text.charCodeAt(j))) j++;
				out += this.text.slice(this.pos, j);
				this.pos = j;
			}
		} while (this.pos < this.end && !isSpace(this.text.charCodeAt(this.pos)));
		if (this.pos > this.wordStart) this.wordEnd = this.pos;
		if (next && this.cur() !== 0) this.pos++;
		return out;
	}

	/**
	 * The common cases without the general loop: a bare word or one single-quoted part, ending at a
	 * blank or the end of the buffer. null when the word needs the full rules.
	 */
	private plainWord(): string | null {
		const text = this.text;
		const end = this.end;
		const p = this.pos;
		let stop: number;
		let value: string;
		if (text.charCodeAt(p) === SQ) {
			const q = text.indexOf("'", p + 1);
			if (q < 0 || q >= end) return null;
			stop = q + 1;
			value = text.slice(p + 1, q);
		} else {
			stop = p;
			while (stop < end) {
				const c = text.charCodeAt(stop);
				if (c < 128 && PLAIN[c] === 0) break;
				stop++;
			}
			if (stop === p) return null;
			value = text.slice(p, stop);
		}
		if (stop < end) {
			const c = text.charCodeAt(stop);
			if (c >= 128 || SPACE[c] === 0) return null;
		}
		this.wordEnd = stop;
		this.pos = stop < end ? stop + 1 : stop;
		return value;
	}

	/** libuci's next_arg: the next word, or '' (a lone `;` counts as an empty word). */
	arg(required: boolean, what: 'none' | 'name' | 'package' = 'none'): string {
		this.skipSpace();
		const at = this.pos;
		this.wordStart = at;
		let value: string;
		if (this.cur() === SEMI) {
			this.semicolon = true;
			this.pos++;
			value = '';
		} else {
			value = this.word();
		}
		if (value === '') {
			if (required) this.fail('insufficient arguments', at);
			return value;
		}
		if (what !== 'none' && !validName(value, what === 'package')) this.fail('invalid character in name field', at);
		return value;
	}

	/** libuci's assert_eol in strict mode. */
	eol(): void {
		this.skipSpace();
		if (this.pos >= this.end) return;
		const at = this.pos;
		const saved = this.wordEnd;
		if (this.arg(false) !== '') {
			this.wordEnd = saved;
			this.fail('too many arguments', at);
		}
	}

	/** The next command keyword as strtok(" \t") sees it, or null at the end of the buffer. */
	keyword(): { word: string; start: number; stop: number } | null {
		let k = this.pos;
		while (k < this.end) {
			const c = this.text.charCodeAt(k);
			if (c !== SP && c !== TAB) break;
			k++;
		}
		if (k >= this.end) return null;
		let t = k;
		while (t < this.end) {
			const c = this.text.charCodeAt(t);
			if (c === SP || c === TAB) break;
			t++;
		}
		return { word: this.text.slice(k, t), start: k, stop: t };
	}
}

/** uci_validate_str: names are [A-Za-z0-9_]+, package names also allow '-'. */
export function validName(s: string, pkg = false): boolean {
	if (s.length === 0) return false;
	for (let i = 0; i < s.length; i++) {
		const c = s.charCodeAt(i);
		if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) continue;
		if (pkg && c === 45) continue;
		return false;
	}
	return true;
}

/** uci_validate_type: printable ASCII without spaces, non-empty. */
export function validType(s: string): boolean {
	if (s.length === 0) return false;
	for (let i = 0; i < s.length; i++) {
		const c = s.charCodeAt(i);
		if (c < 33 || c > 126) return false;
	}
	return true;
}
