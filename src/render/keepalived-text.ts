// keepalived.conf lexical rules (reference: runtime-protocols.md 4.2): `#` and `!` start a comment
// anywhere outside double quotes, a token cannot contain `"` at all, and there are no escapes.

import { keepalivedCarries } from '../model/value-rules.ts';
import { RenderError } from './text.ts';

const BARE = /^[A-Za-z0-9_.:@%+=,/-]+$/;

/** One keepalived token: bare when plainly safe, else double-quoted (which also protects `#` and `!`). */
export function kaWord(value: string): string {
	if (BARE.test(value) && !value.startsWith('@') && !value.startsWith('$')) return value;
	// Validation refuses such values first; this is an assertion.
	if (value === '' || !keepalivedCarries(value)) {
		throw new RenderError(`keepalived.conf cannot carry ${JSON.stringify(value)}: no escape for '"' or control characters`);
	}
	return `"${value}"`;
}

/** Always double-quoted: secrets and script strings, whatever they contain. */
export function kaQuoted(value: string): string {
	if (!keepalivedCarries(value)) {
		throw new RenderError('keepalived.conf cannot carry a value with \'"\' or control characters');
	}
	return `"${value}"`;
}

/** A path for `include`, which keepalived globs and never unquotes: plain characters only. */
export function kaPath(path: string): string {
	if (!BARE.test(path)) throw new RenderError(`keepalived cannot include ${JSON.stringify(path)}: only letters, digits and ._:@%+=,/- are safe in an include path`);
	return path;
}
