// Values echoed in messages (issues, usage errors, logs): always one line, never huge.

const SHOWN_MAX = 60;

/** A value as a message quotes it: on one line (control characters escaped) and cut short when huge. */
export function shown(value: string): string {
	if (value.length <= SHOWN_MAX) return oneLine(value);
	return `${oneLine(value.slice(0, SHOWN_MAX))}…(${utf8Length(value)} bytes)`;
}

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Escapes what would break a line or a terminal: C0/C1 controls, DEL and the Unicode line separators. */
export function oneLine(text: string): string {
	return text.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, (c) => {
		const code = c.charCodeAt(0);
		return NAMED[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`);
	});
}

function utf8Length(s: string): number {
	let n = 0;
	for (let i = 0; i < s.length; i++) {
		const c = s.charCodeAt(i);
		// A surrogate pair is one 4-byte character: 2 + 2.
		n += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
	}
	return n;
}
