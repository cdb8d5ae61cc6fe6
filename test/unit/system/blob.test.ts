// Byte-exact blobmsg vectors, written from reference/runtime-protocols.md 2.3, 2.4 and 2.8
// (2.8 was produced by an encoder checked byte-identical against libubox). Worked examples, 2.8:
//   "ab":"ab"         83 00000f 0002 "ab\0" 000000 "ab\0" 00            raw 15, padded to 16
//   "on":true         87 00000d 0002 "on\0" 000000 01 000000           INT8, raw 13
//   "big":5000000000  84 000014 0003 "big\0" 0000 000000012a05f200      INT64
//   "d":1.5           88 000010 0001 "d\0" 3ff8000000000000
//   "n":null          80 000008 0001 "n\0"
//   "t":{"k":"v"}     82 000014 0001 "t\0" | 83 00000a 0001 "k\0" "v\0" 0000
//   "arr":["x",7]     81 000024 0003 "arr\0" 0000 | 83 00000a 0000 00 00 "x\0" 0000 | 85 00000c 0000 0000 00000007
//   "i16":-1          86 00000e 0003 "i16\0" 0000 ffff 0000             (C blobmsg_add_u16; decode only)
import { describe, expect, it } from 'vitest';
import { BlobError, decodeBlobmsgTable, encodeBlobmsg, encodeBlobmsgTable, type BlobValue } from '../../../src/system/ubus/blob.ts';
import { hx, toHex } from './hex.ts';

const vectors: [string, BlobValue, string][] = [
	['ab', 'ab', '83 00000f 0002 "ab\\0" 000000 "ab\\0" 00'],
	['on', true, '87 00000d 0002 "on\\0" 000000 01 000000'],
	['off', false, '87 00000d 0003 "off\\0" 0000 00 000000'],
	['big', 5000000000, '84 000014 0003 "big\\0" 0000 000000012a05f200'],
	['neg', -5000000000n, '84 000014 0003 "neg\\0" 0000 fffffffed5fa0e00'],
	['d', 1.5, '88 000010 0001 "d\\0" 3ff8000000000000'],
	['n', null, '80 000008 0001 "n\\0"'],
	['t', { k: 'v' }, '82 000014 0001 "t\\0" | 83 00000a 0001 "k\\0" "v\\0" 0000'],
	['arr', ['x', 7], '81 000024 0003 "arr\\0" 0000 | 83 00000a 0000 00 00 "x\\0" 0000 | 85 00000c 0000 0000 00000007'],
	// INT32 "a" = 1, the DATA payload of reference 2.7 step 5.
	['a', 1, '85 00000c 0001 "a\\0" 00000001'],
	['m', -1, '85 00000c 0001 "m\\0" ffffffff'],
	// int32 bounds: one past becomes INT64, as blobmsg_json does.
	['x', 2147483647, '85 00000c 0001 "x\\0" 7fffffff'],
	['x', 2147483648, '84 000010 0001 "x\\0" 0000000080000000'],
	// Empty string: just the NUL. Empty table / array: header and name only.
	['s', '', '83 000009 0001 "s\\0" 00 000000'],
	['t', {}, '82 000008 0001 "t\\0"'],
	['l', [], '81 000008 0001 "l\\0"'],
	// Name lengths 0, 5 and 6 change the name header to 4, 8 and 12 bytes.
	['', 1, '85 00000c 0000 00 00 00000001'],
	['hello', 1, '85 000010 0005 "hello\\0" 00000001'],
	['status', 1, '85 000014 0006 "status\\0" 000000 00000001'],
	// UTF-8 in names and values is encoded, not truncated to UTF-16 units.
	['é', 'ü', '83 00000f 0002 c3a9 00 000000 c3bc 00 00'],
];

describe('blobmsg encoding', () => {
	for (const [name, value, bytes] of vectors) {
		it(`encodes ${JSON.stringify(name)}: ${typeof value === 'bigint' ? `${value}n` : JSON.stringify(value)}`, () => {
			expect(toHex(encodeBlobmsg(name, value))).toBe(toHex(hx(bytes)));
		});
	}
	it('encodes a table payload as its members without a container header (empty = no bytes)', () => {
		expect(toHex(encodeBlobmsgTable({ a: 1 }))).toBe(toHex(hx('85 00000c 0001 "a\\0" 00000001')));
		expect(encodeBlobmsgTable({}).length).toBe(0);
		expect(encodeBlobmsgTable({ a: undefined as unknown as null }).length).toBe(0);
	});
	it('refuses values blobmsg cannot carry', () => {
		expect(() => encodeBlobmsg('x', 2 ** 60)).toThrow(BlobError);
		expect(() => encodeBlobmsg('x', 2n ** 63n)).toThrow(BlobError);
		expect(() => encodeBlobmsg('x', (() => 1) as unknown as BlobValue)).toThrow(BlobError);
	});
	it('sets the extended bit on every blobmsg attribute and keeps every attribute 4-aligned', () => {
		const b = encodeBlobmsgTable({ a: 'xyz', b: [1, 'q', { c: null }], d: true });
		expect(b.length % 4).toBe(0);
		expect(b[0]! & 0x80).toBe(0x80);
	});
});

describe('blobmsg decoding', () => {
	for (const [name, value, bytes] of vectors) {
		it(`decodes ${JSON.stringify(name)}`, () => {
			const v = typeof value === 'bigint' ? Number(value) : value;
			expect(decodeBlobmsgTable(hx(bytes))).toEqual({ [name]: v });
		});
	}
	it('decodes INT16 (only C servers send it) and keeps int64 beyond 2^53 as a bigint', () => {
		expect(decodeBlobmsgTable(hx('86 00000e 0003 "i16\\0" 0000 ffff 0000'))).toEqual({ i16: -1 });
		expect(decodeBlobmsgTable(hx('84 000010 0001 "x\\0" 7fffffffffffffff'))).toEqual({ x: 2n ** 63n - 1n });
	});
	it('round-trips nested values', () => {
		const v = { a: [1, [2, { b: 'c', e: [] }], null, 1.25, -7, 'x'.repeat(1000)], t: { '': 'empty name', __proto__: 'kept' } };
		const out = decodeBlobmsgTable(encodeBlobmsgTable(v));
		expect(out).toEqual(v);
		expect(Object.getPrototypeOf(out.t)).toBe(Object.prototype);
	});
	it('decodes a subarray at an offset', () => {
		const b = hx('ffffffff 85 00000c 0001 "a\\0" 00000001');
		expect(decodeBlobmsgTable(b.subarray(4))).toEqual({ a: 1 });
	});
	const bad: [string, string][] = [
		['a length running past the buffer', '85 000010 0001 "a\\0" 00000001'],
		['a length below the header', '85 000002 0001'],
		['a truncated header', '8500'],
		['a string without NUL', '83 000008 0001 "a\\0" | 83 000009 0001 "s\\0" 41 000000'.replace('"s\\0" 41', '"s\\0" 41')],
		['an INT32 with 2 bytes', '85 00000a 0001 "a\\0" 0001 0000'],
		['an INT8 with 2 bytes', '87 00000a 0001 "a\\0" 0101 0000'],
		['type 9', '89 000008 0001 "a\\0"'],
		['a name longer than the attribute', '85 000008 00ff "a\\0"'],
		['a name without NUL', '85 00000c 0002 "ab" 41 00 00000001'],
	];
	for (const [what, bytes] of bad) {
		it(`rejects ${what} with a BlobError`, () => {
			expect(() => decodeBlobmsgTable(hx(bytes))).toThrow(BlobError);
		});
	}
	it('rejects nesting deeper than 64 levels instead of overflowing the stack', () => {
		let v: BlobValue = 1;
		for (let i = 0; i < 100; i++) v = [v];
		expect(() => decodeBlobmsgTable(encodeBlobmsgTable({ v }))).toThrow(BlobError);
	});
});
