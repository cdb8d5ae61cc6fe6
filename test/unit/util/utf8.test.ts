// UTF-8 without loss: any byte string decodes to text that encodes back to the same bytes, so a
// config file's untouched lines stay byte-identical whatever their encoding.
import { describe, expect, it } from 'vitest';
import { decodeUtf8, encodeUtf8 } from '../../../src/util/utf8.ts';
import { prng } from '../config/uci-gen.ts';

const b = (...xs: number[]) => new Uint8Array(xs);
const roundTrip = (bytes: Uint8Array) => [...encodeUtf8(decodeUtf8(bytes))];

describe('decodeUtf8 / encodeUtf8', () => {
	it('decodes valid UTF-8 as text', () => {
		expect(decodeUtf8(encodeUtf8('héllo wörld 日本 😀'))).toBe('héllo wörld 日本 😀');
		expect([...encodeUtf8('é')]).toEqual([0xc3, 0xa9]);
	});
	it('keeps a latin-1 byte as itself, next to valid UTF-8', () => {
		const bytes = b(0x23, 0x20, 0x63, 0x61, 0x66, 0xe9, 0x20, 0xc3, 0xa9, 0x0a); // "# caf\xE9 é\n"
		const text = decodeUtf8(bytes);
		expect(text.startsWith('# caf')).toBe(true);
		expect(text.endsWith(' é\n')).toBe(true);
		expect(roundTrip(bytes)).toEqual([...bytes]);
	});
	it.each([
		['a lone continuation byte', [0x80]],
		['a truncated sequence at the end', [0x61, 0xe2, 0x82]],
		['a truncated sequence before ASCII', [0xe2, 0x82, 0x41]],
		['an overlong encoding', [0xc0, 0xaf]],
		['an encoded surrogate', [0xed, 0xa0, 0x80]],
		['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
		['0xFF and 0xFE', [0xff, 0xfe]],
	])('round-trips %s byte for byte', (_, bytes) => {
		expect(roundTrip(b(...bytes))).toEqual(bytes);
	});
	it('round-trips random byte strings (2 000 seeded cases)', () => {
		const r = prng(7);
		for (let n = 0; n < 2000; n++) {
			const bytes = Uint8Array.from({ length: Math.floor(r() * 24) }, () => (r() < 0.5 ? Math.floor(r() * 256) : 0x80 + Math.floor(r() * 64)));
			expect(roundTrip(bytes), `bytes ${[...bytes]}`).toEqual([...bytes]);
		}
	});
	it('writes a lone surrogate that did not come from a byte as U+FFFD', () => {
		expect([...encodeUtf8('a\ud800b')]).toEqual([0x61, 0xef, 0xbf, 0xbd, 0x62]);
	});
});
