// keepalived.conf lexical rules (reference: runtime-protocols.md 4.2): `#` and `!` start a comment
// anywhere outside double quotes, a token cannot contain `"` at all, and there are no escapes.

import { RenderError } from './text.ts';

const BARE = /^[A-Za-z0-9_.:@%+=,/-]+$/;

/** One keepalived token: bare when plainly safe, else double-quoted (which also protects `#` and `!`). */
export function kaWord(value: string): string {
	if (BARE.test(value) && !value.startsWith('@') && !value.startsWith('$')) return value;
	if (value === '' || /["\x00-\x1f\x7f]/.test(value)) {
		throw new RenderError(`keepalived.conf cannot carry ${JSON.stringify(value)}: no escape for '"' or control characters`);
	}
	return `"${value}"`;
}

/** Always double-quoted: secrets and script strings, whatever they contain. */
export function kaQuoted(value: string): string {
	if (/["\x00-\x1f\x7f]/.test(value)) {
		throw new RenderError('keepalived.conf cannot carry a value with \'"\' or control characters');
	}
	return `"${value}"`;
}
