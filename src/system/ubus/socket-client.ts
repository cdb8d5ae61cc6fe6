// ubus over its unix socket: HELLO, LOOKUP path -> id, INVOKE, DATA replies merged, STATUS ends a
// request. Replies are matched by (seq, peer). A stream that stops making sense fails every
// pending call and closes: nothing here may hang or throw past the caller's promise.

import type { Conn, Runtime } from '../../runtime/runtime.ts';
import { BlobError, type BlobTable } from './blob.ts';
import { decodeMessage, encodeMessage, frameLength, MAX_MSG_LEN, MsgType, statusName, type InMessage, type UbusStatus } from './message.ts';
import { UbusError } from './ubus-error.ts';
import { DEFAULT_TIMEOUT_MS, type CallOptions, type Ubus } from './ubus.ts';

export interface SocketOptions {
	readonly timeoutMs?: number;
	/** How long to wait for ubusd's HELLO after connecting. */
	readonly helloTimeoutMs?: number;
}

interface Pending {
	readonly peer: number;
	readonly what: string;
	readonly result: BlobTable;
	objId?: number;
	parseError?: string;
	timer: ReturnType<typeof setTimeout> | undefined;
	resolve(r: { data: BlobTable; objId?: number }): void;
	reject(e: Error): void;
}

export async function openUbusSocket(rt: Runtime, path: string, opts: SocketOptions = {}): Promise<Ubus> {
	const conn = await rt.connectUnix(path);
	const client = new SocketClient(rt, conn, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
	try {
		await client.hello(opts.helloTimeoutMs ?? 5000, path);
	} catch (e) {
		client.close();
		throw e;
	}
	return client;
}

class SocketClient implements Ubus {
	readonly transport = 'ubus socket' as const;
	private readonly pending = new Map<number, Pending>();
	private readonly ids = new Map<string, number>();
	private seq = 0;
	private closed: string | null = null;
	private onHello: ((err: string | null) => void) | null = null;
	private greeted = false;

	constructor(
		private readonly rt: Runtime,
		private readonly conn: Conn,
		private readonly timeoutMs: number,
	) {
		void this.readLoop();
	}

	hello(timeoutMs: number, path: string): Promise<void> {
		return new Promise<void>((resolve, reject) => {
			let timer: ReturnType<typeof setTimeout> | undefined = setTimeout(() => {
				timer = undefined;
				done('no HELLO from ubusd');
			}, timeoutMs);
			const done = (err: string | null) => {
				// tjs 24.12 aborts (libuv assertion) on clearTimeout inside that timer's own callback.
				if (timer !== undefined) clearTimeout(timer);
				this.onHello = null;
				if (err === null) resolve();
				else reject(new UbusError('CONNECTION_FAILED', `connect ${path}`, err));
			};
			if (this.greeted) done(null);
			else if (this.closed) done(this.closed);
			else this.onHello = done;
		});
	}

	async call(path: string, method: string, args: BlobTable = {}, opts: CallOptions = {}): Promise<BlobTable> {
		const deadline = this.rt.now() + (opts.timeoutMs ?? this.timeoutMs);
		const what = `${path} ${method}`;
		for (let attempt = 0; ; attempt++) {
			const cached = this.ids.get(path);
			const id = cached ?? (await this.lookup(path, deadline));
			try {
				const r = await this.request({ type: MsgType.INVOKE, peer: id, objId: id, method, data: args }, what, deadline);
				return r.data;
			} catch (e) {
				// The object may have been re-registered under a new id (daemon restart): look it up again once.
				if (cached === undefined || attempt > 0 || !(e instanceof UbusError) || e.status !== 'NOT_FOUND') throw e;
				this.ids.delete(path);
			}
		}
	}

	private async lookup(path: string, deadline: number): Promise<number> {
		const r = await this.request({ type: MsgType.LOOKUP, peer: 0, objPath: path }, `lookup ${path}`, deadline);
		if (r.objId === undefined) throw new UbusError('NOT_FOUND', `lookup ${path}`);
		this.ids.set(path, r.objId);
		return r.objId;
	}

	private request(
		m: { type: number; peer: number; objPath?: string; objId?: number; method?: string; data?: BlobTable },
		what: string,
		deadline: number,
	): Promise<{ data: BlobTable; objId?: number }> {
		if (this.closed) return Promise.reject(new UbusError('CONNECTION_FAILED', what, this.closed));
		let frame: Uint8Array;
		const seq = this.nextSeq();
		try {
			frame = encodeMessage({ ...m, seq });
		} catch (e) {
			return Promise.reject(new UbusError('INVALID_ARGUMENT', what, (e as Error).message));
		}
		return new Promise((resolve, reject) => {
			const p: Pending = { peer: m.peer, what, result: {}, resolve, reject, timer: undefined };
			p.timer = setTimeout(() => {
				p.timer = undefined; // fired: finish() must not clear it (see hello())
				this.finish(seq, 'TIMEOUT');
			}, Math.max(0, deadline - this.rt.now()));
			this.pending.set(seq, p);
			this.conn.write(frame).catch((e: unknown) => this.shutdownAll(`write failed: ${(e as Error)?.message ?? e}`));
		});
	}

	private nextSeq(): number {
		do this.seq = (this.seq + 1) & 0xffff;
		while (this.seq === 0 || this.pending.has(this.seq));
		return this.seq;
	}

	private finish(seq: number, status: UbusStatus | null, detail = ''): void {
		const p = this.pending.get(seq);
		if (!p) return;
		this.pending.delete(seq);
		if (p.timer !== undefined) clearTimeout(p.timer);
		if (status === null) p.resolve({ data: p.result, ...(p.objId === undefined ? {} : { objId: p.objId }) });
		else p.reject(new UbusError(status, p.what, detail));
	}

	private handle(frame: Uint8Array): void {
		const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
		const type = view.getUint8(1);
		const seq = view.getUint16(2);
		if (type === MsgType.HELLO) {
			this.greeted = true;
			this.onHello?.(null);
			return;
		}
		const p = this.pending.get(seq);
		if (!p || p.peer !== view.getUint32(4)) return; // late reply, or not ours
		let m: InMessage;
		try {
			m = decodeMessage(frame);
		} catch (e) {
			this.finish(seq, 'PARSE_ERROR', (e as Error).message);
			return;
		}
		if (type === MsgType.DATA) {
			if (m.objId !== undefined && p.objId === undefined) p.objId = m.objId;
			try {
				Object.assign(p.result, m.data());
			} catch (e) {
				p.parseError = (e as Error).message;
			}
		} else if (type === MsgType.STATUS) {
			const status = m.status === undefined ? 'UNKNOWN_ERROR' : statusName(m.status);
			if (status !== 'OK') this.finish(seq, status);
			else if (p.parseError) this.finish(seq, 'PARSE_ERROR', p.parseError);
			else this.finish(seq, null);
		}
	}

	private async readLoop(): Promise<void> {
		let buf = new Uint8Array(65536);
		let len = 0;
		const chunk = new Uint8Array(65536);
		try {
			for (;;) {
				const n = await this.conn.read(chunk);
				if (n === null || this.closed) break;
				if (len + n > buf.length) {
					const next = new Uint8Array(Math.max(buf.length * 2, len + n));
					next.set(buf.subarray(0, len));
					buf = next;
				}
				buf.set(chunk.subarray(0, n), len);
				len += n;
				let off = 0;
				const view = new DataView(buf.buffer);
				for (;;) {
					const fl = frameLength(view, off, len - off);
					if (fl === 0 || len - off < fl) break;
					this.handle(buf.slice(off, off + fl));
					off += fl;
				}
				if (off > 0) {
					buf.copyWithin(0, off, len);
					len -= off;
				}
				if (buf.length > 4 * MAX_MSG_LEN) throw new BlobError('receive buffer overflow');
			}
			this.shutdownAll('connection closed by ubusd');
		} catch (e) {
			this.shutdownAll(e instanceof BlobError ? `malformed message: ${e.message}` : `read failed: ${(e as Error)?.message ?? e}`);
		}
	}

	/** Ends the connection with a reason that every pending and later call reports. */
	private shutdownAll(reason: string): void {
		if (!this.closed) {
			this.closed = reason;
			this.conn.close();
		}
		this.onHello?.(reason);
		for (const seq of [...this.pending.keys()]) this.finish(seq, 'CONNECTION_FAILED', reason);
	}

	close(): void {
		this.shutdownAll('closed');
	}
}
