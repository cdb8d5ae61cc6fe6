// The ubus message: an 8-byte header (version 0, type, seq u16, peer u32, all big-endian) and one
// top-level blob (id 0) holding UBUS_ATTR_* attributes. Facts: reference/runtime-protocols.md 2.2-2.6.

import { BlobError, BlobReader, BlobWriter, splitAttrs, type BlobTable } from './blob.ts';

export const MsgType = { HELLO: 0, STATUS: 1, DATA: 2, PING: 3, LOOKUP: 4, INVOKE: 5 } as const;
export const Attr = { STATUS: 1, OBJPATH: 2, OBJID: 3, METHOD: 4, OBJTYPE: 5, SIGNATURE: 6, DATA: 7 } as const;

/** ubus status codes by number; TIMEOUT and CONNECTION_FAILED are also raised locally. */
export const STATUS_NAMES = [
	'OK',
	'INVALID_COMMAND',
	'INVALID_ARGUMENT',
	'METHOD_NOT_FOUND',
	'NOT_FOUND',
	'NO_DATA',
	'PERMISSION_DENIED',
	'TIMEOUT',
	'NOT_SUPPORTED',
	'UNKNOWN_ERROR',
	'CONNECTION_FAILED',
	'NO_MEMORY',
	'PARSE_ERROR',
	'SYSTEM_ERROR',
] as const;
export type UbusStatus = (typeof STATUS_NAMES)[number];

export function statusName(code: number): UbusStatus {
	return STATUS_NAMES[code] ?? 'UNKNOWN_ERROR';
}

export const HEADER_LEN = 8;
/** UBUS_MAX_MSGLEN: ubusd disconnects clients that announce more. */
export const MAX_MSG_LEN = 1048576;

export interface OutMessage {
	readonly type: number;
	readonly seq: number;
	readonly peer: number;
	readonly objPath?: string;
	readonly objId?: number;
	readonly method?: string;
	/** Arguments; INVOKE always carries DATA (an empty table when there are none). */
	readonly data?: BlobTable;
}

export function encodeMessage(m: OutMessage): Uint8Array {
	const w = new BlobWriter();
	w.u8(0);
	w.u8(m.type);
	w.u16(m.seq & 0xffff);
	w.u32(m.peer);
	const top = w.open(0, false);
	if (m.objPath !== undefined) w.attrString(Attr.OBJPATH, m.objPath);
	if (m.objId !== undefined) w.attrU32(Attr.OBJID, m.objId);
	if (m.method !== undefined) w.attrString(Attr.METHOD, m.method);
	if (m.data !== undefined) {
		const d = w.open(Attr.DATA, false);
		w.members(m.data);
		w.close(d);
	}
	w.close(top);
	if (w.len - HEADER_LEN > MAX_MSG_LEN) throw new BlobError(`message of ${w.len} bytes exceeds the ubus limit`);
	return w.result();
}

export interface InMessage {
	readonly type: number;
	readonly seq: number;
	readonly peer: number;
	readonly status?: number;
	readonly objId?: number;
	readonly objPath?: string;
	/** Decoded lazily: a malformed DATA payload throws BlobError only when read. */
	data(): BlobTable | undefined;
}

/**
 * Length of the frame starting at `off` once its first 12 bytes are there, else 0 (need more).
 * Throws BlobError for a frame no ubus peer would send: the stream cannot be resynchronised then.
 */
export function frameLength(view: DataView, off: number, avail: number): number {
	if (avail < HEADER_LEN + 4) return 0;
	if (view.getUint8(off) !== 0) throw new BlobError(`ubus message version ${view.getUint8(off)}`);
	const head = view.getUint32(off + HEADER_LEN);
	const raw = head & 0xffffff;
	if (head >>> 24 !== 0 || raw < 4 || raw > MAX_MSG_LEN) throw new BlobError(`bad ubus message blob header ${head.toString(16)}`);
	return HEADER_LEN + raw;
}

/** Parses one complete frame; attributes failing their type check count as absent, as in libubus. */
export function decodeMessage(bytes: Uint8Array): InMessage {
	const reader = new BlobReader(bytes);
	const view = reader.view;
	let status: number | undefined;
	let objId: number | undefined;
	let objPath: string | undefined;
	let data: [number, number] | undefined;
	for (const a of splitAttrs(view, HEADER_LEN + 4, bytes.length)) {
		const len = a.end - a.start;
		if (a.extended) continue;
		if ((a.id === Attr.STATUS || a.id === Attr.OBJID) && len === 4) {
			if (a.id === Attr.STATUS) status = view.getUint32(a.start);
			else objId = view.getUint32(a.start);
		} else if (a.id === Attr.OBJPATH && len > 0 && bytes[a.end - 1] === 0) {
			objPath = reader.str(a.start, a.end - 1);
		} else if (a.id === Attr.DATA) {
			data = [a.start, a.end];
		}
	}
	return {
		type: view.getUint8(1),
		seq: view.getUint16(2),
		peer: view.getUint32(4),
		status,
		objId,
		objPath,
		data: () => (data ? (reader.list(data[0], data[1], false) as BlobTable) : undefined),
	};
}
