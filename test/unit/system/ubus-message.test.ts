// The ubus message header and attributes, byte for byte against reference/runtime-protocols.md 2.7
// (`ubus call rt.echo echo '{"a":1}'` captured against ubusd 3cc98db):
//   HELLO   00 00 0000 d9baa662 | 00000004
//   LOOKUP  00 04 0001 00000000 | 00000010 | 02 00000c "rt.echo\0"
//   DATA    00 02 0001 00000000 | 00000054 | OBJPATH, OBJID 169d9b2d, OBJTYPE, SIGNATURE (52 bytes)
//   STATUS  00 01 0001 00000000 | 0000000c | 01 000008 00000000
//   INVOKE  00 05 0002 169d9b2d | 00000028 | 03 000008 169d9b2d | 04 000009 "echo\0" 000000 | 07 000010 85 00000c 0001 "a\0" 00000001
//   DATA    00 02 0002 169d9b2d | 0000001c | 03 000008 169d9b2d | 07 000010 85 00000c 0001 61 00 00000001
//   STATUS  00 01 0002 169d9b2d | 00000014 | 01 000008 00000000 | 03 000008 169d9b2d
import { describe, expect, it } from 'vitest';
import { BlobError } from '../../../src/system/ubus/blob.ts';
import { decodeMessage, encodeMessage, frameLength, MsgType } from '../../../src/system/ubus/message.ts';
import { hx, toHex } from './hex.ts';

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

describe('ubus message encoding', () => {
	it('LOOKUP of rt.echo (2.7 step 2)', () => {
		const m = encodeMessage({ type: MsgType.LOOKUP, seq: 1, peer: 0, objPath: 'rt.echo' });
		expect(toHex(m)).toBe(toHex(hx('00 04 0001 00000000 | 00000010 | 02 00000c "rt.echo\\0"')));
	});
	it('INVOKE echo {"a":1} (2.7 step 5)', () => {
		const m = encodeMessage({ type: MsgType.INVOKE, seq: 2, peer: 0x169d9b2d, objId: 0x169d9b2d, method: 'echo', data: { a: 1 } });
		expect(toHex(m)).toBe(toHex(hx('00 05 0002 169d9b2d | 00000028 | 03 000008 169d9b2d | 04 000009 "echo\\0" 000000 | 07 000010 85 00000c 0001 "a\\0" 00000001')));
	});
	it('INVOKE without arguments still carries an empty DATA attribute', () => {
		const m = encodeMessage({ type: MsgType.INVOKE, seq: 0xffff, peer: 0xfffffffe, objId: 0xfffffffe, method: 'status', data: {} });
		expect(toHex(m)).toBe(toHex(hx('00 05 ffff fffffffe | 0000001c | 03 000008 fffffffe | 04 00000b "status\\0" 00 | 07 000004')));
	});
	it('refuses a message over the 1 MiB limit', () => {
		expect(() => encodeMessage({ type: MsgType.INVOKE, seq: 1, peer: 1, objId: 1, method: 'x', data: { s: 'x'.repeat(1 << 20) } })).toThrow(BlobError);
	});
});

describe('ubus message decoding', () => {
	it('frames the HELLO (2.7 step 1)', () => {
		const b = hx('00 00 0000 d9baa662 | 00000004');
		expect(frameLength(view(b), 0, b.length)).toBe(12);
		const m = decodeMessage(b);
		expect([m.type, m.seq, m.peer]).toEqual([MsgType.HELLO, 0, 0xd9baa662]);
	});
	it('reads OBJID from the LOOKUP reply with its signature (2.7 step 3)', () => {
		const b = hx(`00 02 0001 00000000 | 00000054 | 02 00000c "rt.echo\\0" | 03 000008 169d9b2d | 05 000008 351e8d33 | 06 000034
			82 00000c 0004 "echo\\0" 00 | 82 00000c 0003 "two\\0" 00 00 | 82 00000c 0004 "fail\\0" 00 | 82 00000c 0005 "types\\0"`);
		expect(frameLength(view(b), 0, b.length)).toBe(b.length);
		const m = decodeMessage(b);
		expect(m).toMatchObject({ type: MsgType.DATA, seq: 1, peer: 0, objId: 0x169d9b2d, objPath: 'rt.echo' });
		expect(m.data()).toBeUndefined();
	});
	it('reads DATA and STATUS replies to the INVOKE (2.7 steps 6, 7)', () => {
		const d = decodeMessage(hx('00 02 0002 169d9b2d | 0000001c | 03 000008 169d9b2d | 07 000010 85 00000c 0001 61 00 00000001'));
		expect(d).toMatchObject({ type: MsgType.DATA, seq: 2, peer: 0x169d9b2d, objId: 0x169d9b2d });
		expect(d.data()).toEqual({ a: 1 });
		const s = decodeMessage(hx('00 01 0002 169d9b2d | 00000014 | 01 000008 00000000 | 03 000008 169d9b2d'));
		expect(s).toMatchObject({ type: MsgType.STATUS, status: 0, objId: 0x169d9b2d });
	});
	it('treats attributes that fail their type check as absent, as libubus does', () => {
		const m = decodeMessage(hx('00 01 0003 00000000 | 00000010 | 01 000006 0004 0000 | 03 000004'));
		expect(m.status).toBeUndefined();
		expect(m.objId).toBeUndefined();
	});
	it('waits for 12 bytes, then frames by the top blob length', () => {
		const b = hx('00 01 0002 169d9b2d | 00000014 | 01 000008 00000000 | 03 000008 169d9b2d');
		expect(frameLength(view(b), 0, 11)).toBe(0);
		expect(frameLength(view(b), 0, 12)).toBe(28);
	});
	it('rejects frames no ubusd sends: version, top id, length', () => {
		for (const bad of ['01 01 0002 00000000 | 00000004', '00 01 0002 00000000 | 01000004', '00 01 0002 00000000 | 00000002', '00 01 0002 00000000 | 00ffffff']) {
			const b = hx(bad);
			expect(() => frameLength(view(b), 0, b.length), bad).toThrow(BlobError);
		}
	});
});
