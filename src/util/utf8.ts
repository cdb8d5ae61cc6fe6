// UTF-8 without TextEncoder/TextDecoder: those are a pure-JS polyfill in txiki.js 24.12 and take
// seconds on a few hundred KB (reference/runtime-protocols.md 1.9). ASCII stays on a fast path.

const CHUNK = 8192;

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
		return decodeURIComponent(escape(bin));
	} catch {
		// Invalid UTF-8: keep the bytes readable rather than failing the caller.
		return bin;
	}
}

export function encodeUtf8(text: string): Uint8Array {
	let bin = text;
	for (let i = 0; i < text.length; i++) {
		if (text.charCodeAt(i) > 0x7f) {
			bin = unescape(encodeURIComponent(text));
			break;
		}
	}
	const out = new Uint8Array(bin.length);
	for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
	return out;
}
