// The server side of the ubus protocol (reference/runtime-protocols.md 2.2-2.7) over a real unix
// socket, with switches for misbehaviour: slow replies, malformed frames, closing mid-reply.
// Headers and blob attributes are framed here with Buffer, independently of src/; only the
// blobmsg payloads reuse src/system/ubus/blob.ts, which test/unit/system/blob.test.ts pins to bytes.
import net from 'node:net';
import { decodeBlobmsgTable, encodeBlobmsgTable, type BlobTable } from '../../src/system/ubus/blob.ts';

export type Handler = (args: BlobTable, call: ReceivedCall) => Reply | Promise<Reply>;

export interface Reply {
	/** Each table becomes one DATA message. */
	data?: BlobTable[];
	status?: number;
	delayMs?: number;
	/** Raw bytes sent instead of a proper reply. */
	raw?: Buffer;
	/** Destroy the connection after sending `raw`/`data`. */
	close?: boolean;
	/** Never answer. */
	silent?: boolean;
}

export interface ReceivedCall {
	type: number;
	seq: number;
	peer: number;
	objPath?: string;
	objId?: number;
	method?: string;
	hasData: boolean;
	args?: BlobTable;
}

const attr = (id: number, payload: Buffer): Buffer => {
	const raw = 4 + payload.length;
	const b = Buffer.alloc((raw + 3) & ~3);
	b.writeUInt32BE(((id & 0x7f) << 24) | raw, 0);
	payload.copy(b, 4);
	return b;
};
const u32 = (v: number) => {
	const b = Buffer.alloc(4);
	b.writeUInt32BE(v >>> 0);
	return b;
};
const str = (s: string) => Buffer.concat([Buffer.from(s), Buffer.alloc(1)]);

export function frame(type: number, seq: number, peer: number, attrs: Buffer[]): Buffer {
	const h = Buffer.alloc(8);
	h.writeUInt8(0, 0);
	h.writeUInt8(type, 1);
	h.writeUInt16BE(seq, 2);
	h.writeUInt32BE(peer >>> 0, 4);
	return Buffer.concat([h, attr(0, Buffer.concat(attrs))]);
}
export const statusAttr = (s: number) => attr(1, u32(s));
export const objIdAttr = (id: number) => attr(3, u32(id));
export const dataAttr = (t: BlobTable | Buffer) => attr(7, Buffer.isBuffer(t) ? t : Buffer.from(encodeBlobmsgTable(t)));

export function parseFrame(f: Buffer): ReceivedCall {
	const call: ReceivedCall = { type: f[1]!, seq: f.readUInt16BE(2), peer: f.readUInt32BE(4), hasData: false };
	let off = 12;
	while (off < f.length) {
		const head = f.readUInt32BE(off);
		const raw = head & 0xffffff;
		const id = (head >>> 24) & 0x7f;
		const p = f.subarray(off + 4, off + raw);
		if (id === 2) call.objPath = p.subarray(0, p.length - 1).toString();
		if (id === 3) call.objId = p.readUInt32BE(0);
		if (id === 4) call.method = p.subarray(0, p.length - 1).toString();
		if (id === 7) {
			call.hasData = true;
			call.args = decodeBlobmsgTable(new Uint8Array(p));
		}
		off += (raw + 3) & ~3;
	}
	return call;
}

export class UbusTestServer {
	readonly objects = new Map<string, { id: number; methods: Record<string, Handler> }>();
	readonly received: ReceivedCall[] = [];
	readonly sockets = new Set<net.Socket>();
	hello: 'normal' | 'none' | 'garbage' = 'normal';
	clientId = 0x1234abcd;
	private server = net.createServer((s) => this.accept(s));
	private nextId = 0x169d9b2d;

	constructor(readonly path: string) {}

	add(path: string, methods: Record<string, Handler>): number {
		const id = this.nextId++;
		this.objects.set(path, { id, methods });
		return id;
	}

	start(): Promise<void> {
		return new Promise((r) => this.server.listen(this.path, r));
	}

	async stop(): Promise<void> {
		for (const s of this.sockets) s.destroy();
		await new Promise((r) => this.server.close(r));
	}

	private accept(s: net.Socket): void {
		this.sockets.add(s);
		s.on('close', () => this.sockets.delete(s));
		s.on('error', () => {});
		if (this.hello === 'normal') s.write(frame(0, 0, this.clientId, []));
		if (this.hello === 'garbage') s.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'));
		let buf = Buffer.alloc(0);
		s.on('data', (d) => {
			buf = Buffer.concat([buf, d]);
			while (buf.length >= 12) {
				const len = 8 + (buf.readUInt32BE(8) & 0xffffff);
				if (buf.length < len) break;
				const f = buf.subarray(0, len);
				buf = buf.subarray(len);
				void this.dispatch(s, parseFrame(Buffer.from(f)));
			}
		});
	}

	private async dispatch(s: net.Socket, c: ReceivedCall): Promise<void> {
		this.received.push(c);
		const send = (b: Buffer) => s.destroyed || s.write(b);
		if (c.type === 4) {
			const o = c.objPath === undefined ? undefined : this.objects.get(c.objPath);
			if (o) send(frame(2, c.seq, 0, [attr(2, str(c.objPath!)), objIdAttr(o.id), attr(5, u32(0x351e8d33)), attr(6, Buffer.alloc(0))]));
			send(frame(1, c.seq, 0, [statusAttr(o ? 0 : 4)]));
			return;
		}
		if (c.type !== 5) return;
		const o = [...this.objects.values()].find((x) => x.id === c.peer);
		if (!o || c.objId !== c.peer) return void send(frame(1, c.seq, c.peer, [statusAttr(4)]));
		// libubus answers INVALID_ARGUMENT to an INVOKE without DATA.
		if (!c.hasData) return void send(frame(1, c.seq, c.peer, [statusAttr(2), objIdAttr(o.id)]));
		const h = o.methods[c.method ?? ''];
		if (!h) return void send(frame(1, c.seq, c.peer, [statusAttr(3), objIdAttr(o.id)]));
		const r = await h(c.args ?? {}, c);
		if (r.delayMs) await new Promise((res) => setTimeout(res, r.delayMs));
		if (r.silent) return;
		if (r.raw) send(r.raw);
		for (const d of r.data ?? []) send(frame(2, c.seq, c.peer, [objIdAttr(o.id), dataAttr(d)]));
		if (r.close) return void s.destroy();
		if (!r.raw) send(frame(1, c.seq, c.peer, [statusAttr(r.status ?? 0), objIdAttr(o.id)]));
	}
}
