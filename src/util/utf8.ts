// UTF-8 without TextEncoder/TextDecoder: those are a pure-JS polyfill in txiki.js 24.12 and take
// seconds on a few hundred KB (reference/runtime-protocols.md 1.9). ASCII stays on a fast path.
//
// Lossless both ways (docs/decisions.md): a byte that is not part of valid UTF-8 (a latin-1
// 0xE9 in a comment, say) decodes to the lone surrogate U+DC00 + byte, and encodes back to that
// byte, so text read from a file and written back unchanged keeps every byte.

const CHUNK = 8192;
const ESCAPE = 0xdc00;

export function decodeUtf8(bytes: Uint8Array, start = 0, end = bytes.length): string {
	let ascii = true;
	for (let i = start; i < end; i++) {
		if (bytes[i]! > 0x7f) {
			ascii = false;
			break;
		}
	}
	let bin = '';
	for (let i = start; i < end; i += CHUNK) {
		bin += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + CHUNK)) as unknown as number[]);
	}
	if (ascii) return bin;
	try {
		// Native, and it refuses what is not strict UTF-8 (overlongs, surrogates, > U+10FFFF).
		return decodeURIComponent(escape(bin));
	} catch {
		return decodeEscaping(bytes, start, end);
	}
}

/** Length of the valid UTF-8 sequence at `i`, or 0 if the byte there does not start one. */
function sequenceLength(bytes: Uint8Array, i: number, end: number): number {
	const b = bytes[i]!;
	let n: number;
	let lo = 0x80;
	let hi = 0xbf;
	if (b >= 0xc2 && b <= 0xdf) n = 2;
	else if (b >= 0xe0 && b <= 0xef) {
		n = 3;
		if (b === 0xe0) lo = 0xa0;
		if (b === 0xed) hi = 0x9f; // no surrogates
	} else if (b >= 0xf0 && b <= 0xf4) {
		n = 4;
		if (b === 0xf0) lo = 0x90;
		if (b === 0xf4) hi = 0x8f; // nothing above U+10FFFF
	} else return 0;
	if (i + n > end) return 0;
	const second = bytes[i + 1]!;
	if (second < lo || second > hi) return 0;
	for (let k = 2; k < n; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return 0;
	return n;
}

function decodeEscaping(bytes: Uint8Array, start: number, end: number): string {
	const units: number[] = [];
	for (let i = start; i < end; ) {
		const b = bytes[i]!;
		const n = b < 0x80 ? 1 : sequenceLength(bytes, i, end);
		if (n === 0) {
			units.push(ESCAPE + b);
			i++;
			continue;
		}
		let cp = n === 1 ? b : b & (0xff >> (n + 1));
		for (let k = 1; k < n; k++) cp = (cp << 6) | (bytes[i + k]! & 0x3f);
		if (cp >= 0x10000) units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
		else units.push(cp);
		i += n;
	}
	let out = '';
	for (let i = 0; i < units.length; i += CHUNK) out += String.fromCharCode.apply(null, units.slice(i, i + CHUNK));
	return out;
}

export function encodeUtf8(text: string): Uint8Array {
	let bin = text;
	for (let i = 0; i < text.length; i++) {
		if (text.charCodeAt(i) > 0x7f) {
			try {
				bin = unescape(encodeURIComponent(text));
			} catch {
				// A lone surrogate: an escaped byte from decodeUtf8, or stray.
				return encodeEscaped(text);
			}
			break;
		}
	}
	const out = new Uint8Array(bin.length);
	for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
	return out;
}

function encodeEscaped(text: string): Uint8Array {
	const out: number[] = [];
	for (let i = 0; i < text.length; i++) {
		let cp = text.charCodeAt(i);
		const next = text.charCodeAt(i + 1);
		if (cp >= 0xd800 && cp <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
			i++;
		} else if (cp >= ESCAPE + 0x80 && cp <= ESCAPE + 0xff) {
			out.push(cp - ESCAPE);
			continue;
		} else if (cp >= 0xd800 && cp <= 0xdfff) {
			cp = 0xfffd;
		}
		if (cp < 0x80) out.push(cp);
		else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
		else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
		else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
	}
	return Uint8Array.from(out);
}
