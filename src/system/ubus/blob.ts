// blob and blobmsg (libubox) encoding: big-endian 32-bit headers (bit 31 = extended/blobmsg,
// bits 30..24 = id or type, bits 23..0 = length incl. the header but not the padding),
// every attribute padded to 4 bytes. Facts: reference/runtime-protocols.md 2.3, 2.4, 2.9.

import { decodeUtf8, encodeUtf8 } from '../../util/utf8.ts';

export type BlobValue = null | boolean | number | bigint | string | BlobValue[] | BlobTable;
export interface BlobTable {
	[key: string]: BlobValue;
}

export const BlobmsgType = {
	UNSPEC: 0,
	ARRAY: 1,
	TABLE: 2,
	STRING: 3,
	INT64: 4,
	INT32: 5,
	INT16: 6,
	INT8: 7,
	DOUBLE: 8,
} as const;

const EXTENDED = 0x80000000;
const MAX_LEN = 0xffffff;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A malformed or unencodable blob; ubus reports it as PARSE_ERROR / INVALID_ARGUMENT. */
export class BlobError extends Error {}

export const pad4 = (n: number): number => (n + 3) & ~3;

/** A growing byte buffer that writes blob attributes in place and patches their lengths. */
export class BlobWriter {
	buf = new Uint8Array(256);
	view = new DataView(this.buf.buffer);
	len = 0;

	private ensure(n: number): void {
		if (this.len + n <= this.buf.length) return;
		let size = this.buf.length * 2;
		while (size < this.len + n) size *= 2;
		const next = new Uint8Array(size);
		next.set(this.buf.subarray(0, this.len));
		this.buf = next;
		this.view = new DataView(next.buffer);
	}

	u8(v: number): void {
		this.ensure(1);
		this.view.setUint8(this.len, v);
		this.len += 1;
	}
	u16(v: number): void {
		this.ensure(2);
		this.view.setUint16(this.len, v);
		this.len += 2;
	}
	u32(v: number): void {
		this.ensure(4);
		this.view.setUint32(this.len, v >>> 0);
		this.len += 4;
	}
	/** UTF-8 of `s`; ASCII is copied straight in (encodeUtf8 allocates, which is slow on tjs). */
	text(s: string): void {
		this.ensure(s.length);
		const start = this.len;
		for (let i = 0; i < s.length; i++) {
			const c = s.charCodeAt(i);
			if (c > 0x7f) {
				this.len = start;
				this.bytes(encodeUtf8(s));
				return;
			}
			this.buf[start + i] = c;
		}
		this.len = start + s.length;
	}
	bytes(b: Uint8Array): void {
		this.ensure(b.length);
		this.buf.set(b, this.len);
		this.len += b.length;
	}
	/** Zero bytes up to the next multiple of 4 (the buffer starts aligned). */
	pad(): void {
		const to = pad4(this.len);
		this.ensure(to - this.len);
		this.buf.fill(0, this.len, to);
		this.len = to;
	}

	/** Starts an attribute; close() fills in its length once the payload is written. */
	open(id: number, extended: boolean): number {
		const start = this.len;
		this.u32((extended ? EXTENDED : 0) | ((id & 0x7f) << 24));
		return start;
	}
	close(start: number): void {
		const raw = this.len - start;
		if (raw > MAX_LEN) throw new BlobError(`attribute of ${raw} bytes exceeds the 24-bit length`);
		this.view.setUint32(start, (this.view.getUint32(start) | raw) >>> 0);
		this.pad();
	}

	/** A non-extended blob attribute with a 32-bit value (ubus OBJID, STATUS). */
	attrU32(id: number, v: number): void {
		const a = this.open(id, false);
		this.u32(v);
		this.close(a);
	}
	attrString(id: number, s: string): void {
		const a = this.open(id, false);
		this.text(s);
		this.u8(0);
		this.close(a);
	}

	/** One blobmsg attribute: header, padded name, value. */
	blobmsg(name: string, value: BlobValue): void {
		const type = typeOf(value);
		const a = this.open(type, true);
		const lenAt = this.len;
		this.u16(0);
		this.text(name);
		const nameLen = this.len - lenAt - 2;
		if (nameLen > 0xffff) throw new BlobError('blobmsg name longer than 65535 bytes');
		this.view.setUint16(lenAt, nameLen);
		this.u8(0);
		this.pad();
		this.value(type, value);
		this.close(a);
	}

	/** The children of a table (named) or array (unnamed), without a container header. */
	members(value: BlobTable | readonly BlobValue[]): void {
		if (Array.isArray(value)) {
			for (const v of value) this.blobmsg('', v === undefined ? null : v);
			return;
		}
		for (const [k, v] of Object.entries(value)) {
			if (v === undefined) continue; // as JSON.stringify does
			this.blobmsg(k, v);
		}
	}

	private value(type: number, value: BlobValue): void {
		switch (type) {
			case BlobmsgType.UNSPEC:
				return;
			case BlobmsgType.ARRAY:
			case BlobmsgType.TABLE:
				this.members(value as BlobTable | BlobValue[]);
				return;
			case BlobmsgType.STRING:
				this.text(value as string);
				this.u8(0);
				return;
			case BlobmsgType.INT8:
				this.u8(value ? 1 : 0);
				return;
			case BlobmsgType.INT32:
				this.u32(value as number);
				return;
			case BlobmsgType.INT64:
				this.ensure(8);
				this.view.setBigInt64(this.len, BigInt(value as number | bigint));
				this.len += 8;
				return;
			default:
				this.ensure(8);
				this.view.setFloat64(this.len, value as number);
				this.len += 8;
		}
	}

	result(): Uint8Array {
		return this.buf.slice(0, this.len);
	}
}

/** The blobmsg type `ubus call` would choose for this JSON value (blobmsg_json.c). */
function typeOf(v: BlobValue): number {
	switch (typeof v) {
		case 'boolean':
			return BlobmsgType.INT8;
		case 'string':
			return BlobmsgType.STRING;
		case 'bigint':
			if (v < INT64_MIN || v > INT64_MAX) throw new BlobError(`${v} does not fit in int64`);
			return BlobmsgType.INT64;
		case 'number':
			if (!Number.isInteger(v)) return BlobmsgType.DOUBLE;
			if (v >= -0x80000000 && v <= 0x7fffffff) return BlobmsgType.INT32;
			if (!Number.isSafeInteger(v)) throw new BlobError(`${v} is not a safe integer: pass a bigint`);
			return BlobmsgType.INT64;
		case 'object':
			if (v === null) return BlobmsgType.UNSPEC;
			return Array.isArray(v) ? BlobmsgType.ARRAY : BlobmsgType.TABLE;
		default:
			throw new BlobError(`cannot encode a ${typeof v} as blobmsg`);
	}
}

/** blobmsg attributes of a table (no container header), e.g. the payload of ubus DATA. */
export function encodeBlobmsgTable(value: BlobTable): Uint8Array {
	const w = new BlobWriter();
	w.members(value);
	return w.result();
}

/** One blobmsg attribute, e.g. for test vectors. */
export function encodeBlobmsg(name: string, value: BlobValue): Uint8Array {
	const w = new BlobWriter();
	w.blobmsg(name, value);
	return w.result();
}

export interface RawAttr {
	readonly id: number;
	readonly extended: boolean;
	/** Offsets of the payload (after the 4-byte header) in the buffer. */
	readonly start: number;
	readonly end: number;
}

/** Splits a run of blob attributes; throws BlobError on lengths that leave the buffer. */
export function splitAttrs(view: DataView, start: number, end: number): RawAttr[] {
	const out: RawAttr[] = [];
	let off = start;
	while (off < end) {
		if (end - off < 4) throw new BlobError(`truncated attribute header at ${off}`);
		const head = view.getUint32(off);
		const raw = head & MAX_LEN;
		if (raw < 4 || off + raw > end) throw new BlobError(`attribute length ${raw} at ${off} leaves its container`);
		out.push({ id: (head >>> 24) & 0x7f, extended: (head & EXTENDED) !== 0, start: off + 4, end: off + raw });
		off += pad4(raw);
	}
	return out;
}

const INT_LEN: Record<number, number> = { 4: 8, 5: 4, 6: 2, 7: 1, 8: 8 };
const NON_ASCII = /[\x80-\xff]/;
const CHUNK = 8192;

/**
 * Reads blobmsg from one buffer. Strings are cut from a binary string of the whole buffer made
 * once: on tjs a per-string decode costs ~10 us, a slice almost nothing. Only non-ASCII pieces
 * go through decodeUtf8.
 */
export class BlobReader {
	readonly view: DataView;
	private bin: string | null = null;
	private ascii = false;

	constructor(readonly bytes: Uint8Array) {
		this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	}

	str(start: number, end: number): string {
		if (this.bin === null) {
			let bin = '';
			for (let i = 0; i < this.bytes.length; i += CHUNK) {
				bin += String.fromCharCode.apply(null, this.bytes.subarray(i, Math.min(this.bytes.length, i + CHUNK)) as unknown as number[]);
			}
			this.bin = bin;
			this.ascii = !NON_ASCII.test(bin);
		}
		const piece = this.bin.slice(start, end);
		return this.ascii || !NON_ASCII.test(piece) ? piece : decodeUtf8(this.bytes, start, end);
	}

	private one(a: RawAttr, depth: number): [string, BlobValue] {
		const { view, bytes } = this;
		let name = '';
		let off = a.start;
		if (a.extended) {
			if (a.end - off < 2) throw new BlobError('truncated blobmsg name header');
			const nameLen = view.getUint16(off);
			const dataStart = a.start + pad4(2 + nameLen + 1);
			if (dataStart > a.end || bytes[off + 2 + nameLen] !== 0) throw new BlobError('blobmsg name overruns its attribute');
			name = nameLen === 0 ? '' : this.str(off + 2, off + 2 + nameLen);
			off = dataStart;
		}
		const len = a.end - off;
		const want = INT_LEN[a.id];
		if (want !== undefined && len !== want) throw new BlobError(`blobmsg type ${a.id} with ${len} value bytes`);
		switch (a.id) {
			case BlobmsgType.UNSPEC:
				return [name, null];
			case BlobmsgType.ARRAY:
			case BlobmsgType.TABLE:
				if (depth > 64) throw new BlobError('blobmsg nested too deeply');
				return [name, this.list(off, a.end, a.id === BlobmsgType.ARRAY, depth + 1)];
			case BlobmsgType.STRING:
				if (len < 1 || bytes[a.end - 1] !== 0) throw new BlobError('blobmsg string without its NUL');
				return [name, this.str(off, a.end - 1)];
			case BlobmsgType.INT64: {
				const v = view.getBigInt64(off);
				return [name, v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v];
			}
			case BlobmsgType.INT32:
				return [name, view.getInt32(off)];
			case BlobmsgType.INT16:
				return [name, view.getInt16(off)];
			case BlobmsgType.INT8:
				return [name, view.getUint8(off) !== 0];
			case BlobmsgType.DOUBLE:
				return [name, view.getFloat64(off)];
			default:
				throw new BlobError(`unknown blobmsg type ${a.id}`);
		}
	}

	/** Blobmsg attributes between start and end, as a table or an array. */
	list(start: number, end: number, asArray: boolean, depth = 0): BlobValue[] | BlobTable {
		const attrs = splitAttrs(this.view, start, end);
		if (asArray) return attrs.map((a) => this.one(a, depth)[1]);
		const table: BlobTable = {};
		for (const a of attrs) {
			const [k, v] = this.one(a, depth);
			// A key named __proto__ stays a plain key, never a prototype (defineProperty is slow on tjs: only there).
			if (k === '__proto__') Object.defineProperty(table, k, { value: v, enumerable: true, writable: true, configurable: true });
			else table[k] = v;
		}
		return table;
	}
}

/** Decodes a blobmsg table payload (no container header) from standalone bytes. */
export function decodeBlobmsgTable(bytes: Uint8Array): BlobTable {
	return new BlobReader(bytes).list(0, bytes.length, false) as BlobTable;
}
