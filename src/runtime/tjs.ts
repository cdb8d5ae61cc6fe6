// The Runtime on txiki.js 24.12: the only file in src/ that touches `tjs.*`.
// Facts it relies on are in ../shared/reference/runtime-protocols.md section 1.

import type { Conn, Udp, FileInfo, IcmpSocket, LogLevel, Runtime, SpawnOptions, SpawnResult } from './runtime.ts';
import { echoRequest, parseEchoReply } from './icmp-packet.ts';
import { PosixSocket } from 'tjs:posix-socket';
import { decodeUtf8, encodeUtf8 } from '../util/utf8.ts';
import { brokenLinkError } from './broken-link.ts';
import { withTimeout } from '../util/with-timeout.ts';
import { DEFAULT_PATH, findExecutable, isExecutable } from './find-executable.ts';

const SYSLOG_PRIORITY: Record<LogLevel, number> = { err: 3, warning: 4, notice: 5, info: 6, debug: 7 };
const DAEMON = 3 << 3;

function bytes(data: string | Uint8Array): Uint8Array {
	return typeof data === 'string' ? encodeUtf8(data) : data;
}

function errCode(e: unknown): string | undefined {
	return (e as { code?: string } | null)?.code;
}

function info(st: tjs.StatResult): FileInfo {
	return {
		mode: st.mode & 0o7777,
		size: st.size,
		isFile: st.isFile,
		isDirectory: st.isDirectory,
		isSymlink: st.isSymbolicLink,
		mtimeMs: st.mtim.getTime(),
	};
}

async function orNull<T>(p: Promise<T>): Promise<T | null> {
	try {
		return await p;
	} catch (e) {
		if (errCode(e) === 'ENOENT' || errCode(e) === 'ENOTDIR') return null;
		throw e;
	}
}

// mkdir -p, from the leaf up: the directory nearly always exists already (every hook makes
// /var/run/ha-router), and then this is one mkdir and one stat, where tjs's recursive makeDir
// does both for every ancestor from / down.
async function makeDir(path: string, mode = 0o755): Promise<void> {
	try {
		await tjs.makeDir(path, { mode });
	} catch (e) {
		const code = errCode(e);
		if (code === 'ENOENT') {
			const parent = path.replace(/\/+[^/]+\/*$/, '');
			if (!parent || parent === path) throw e;
			await makeDir(parent, mode);
			await makeDir(path, mode);
			return;
		}
		if (code !== 'EEXIST') throw e;
		if (!(await tjs.stat(path)).isDirectory) throw Object.assign(new Error(`${path} exists and is not a directory`), { code: 'EEXIST' });
	}
}

async function drain(r: tjs.Reader | undefined): Promise<string> {
	if (!r) return '';
	const chunks: Uint8Array[] = [];
	let total = 0;
	const buf = new Uint8Array(16384);
	for (;;) {
		const n = await r.read(buf);
		if (n === null || n === undefined || n === 0) break;
		chunks.push(buf.slice(0, n));
		total += n;
	}
	const all = new Uint8Array(total);
	let off = 0;
	for (const c of chunks) {
		all.set(c, off);
		off += c.length;
	}
	return decodeUtf8(all);
}

async function writeAll(w: { write(b: Uint8Array): Promise<unknown> }, data: Uint8Array): Promise<void> {
	await w.write(data);
}

async function syncDir(dir: string): Promise<void> {
	try {
		const fh = await tjs.open(dir, 'r');
		try {
			await fh.sync();
		} finally {
			await fh.close();
		}
	} catch {
		// Some filesystems refuse a directory fsync; the rename itself is still atomic.
	}
}

function dirOf(path: string): string {
	const i = path.lastIndexOf('/');
	return i < 0 ? '.' : i === 0 ? '/' : path.slice(0, i);
}

async function readWhole(path: string): Promise<Uint8Array> {
	const fh = await tjs.open(path, 'r');
	try {
		const chunks: Uint8Array[] = [];
		let total = 0;
		// /proc files report size 0: read until EOF, starting with the stat size as a hint.
		let buf = new Uint8Array(Math.max(4096, (await fh.stat()).size + 1));
		for (;;) {
			// Positioned reads (pread): the file offset does not move, so every read says where.
			const n = await fh.read(buf, total);
			if (n === null || n === 0) break;
			chunks.push(buf.subarray(0, n));
			total += n;
			if (n < buf.length) {
				// A short read is not EOF for every file type: ask once more.
				buf = new Uint8Array(4096);
				continue;
			}
			buf = new Uint8Array(buf.length * 2);
		}
		if (chunks.length === 1) return chunks[0]!;
		const all = new Uint8Array(total);
		let off = 0;
		for (const c of chunks) {
			all.set(c, off);
			off += c.length;
		}
		return all;
	} finally {
		await fh.close();
	}
}

/** Where a write to `path` lands: the file itself, or the end of its chain of symbolic links. */
async function writeTarget(path: string): Promise<string> {
	const st = await orNull(tjs.lstat(path));
	if (!st?.isSymbolicLink) return path;
	try {
		return await tjs.realPath(path);
	} catch (e) {
		throw brokenLinkError(path, await tjs.readLink(path).catch(() => null), errCode(e)) ?? e;
	}
}

async function readFile(path: string): Promise<Uint8Array | null> {
	try {
		return await orNull(readWhole(path));
	} catch (e) {
		throw (errCode(e) === 'ELOOP' && brokenLinkError(path, null, 'ELOOP')) || e;
	}
}

const statMode = (path: string) => orNull(tjs.stat(path)).then((st) => st && { isFile: st.isFile, mode: st.mode });
const located = new Map<string, string>();

/**
 * The file a spawn of `name` will execute, found before spawning: in tjs 24.12 a spawn that fails
 * (a missing program or directory) frees a handle libuv still holds, after which no later spawn
 * finishes. So a program that is not there is an ENOENT error here, and tjs.spawn never sees it.
 * Found paths are cached per PATH and checked again (one stat) at every use.
 */
async function locate(name: string, path: string, cwd: string | undefined): Promise<string> {
	const refuse = (what: string) => Object.assign(new Error(`ENOENT: ${what} (not spawned)`), { code: 'ENOENT' });
	if (cwd !== undefined && !(await orNull(tjs.stat(cwd)))?.isDirectory) throw refuse(`no directory ${cwd}`);
	const key = `${path}\0${name}`;
	const cached = located.get(key);
	const found = cached && isExecutable(await statMode(cached)) ? cached : await findExecutable(name, path, statMode);
	if (!found) {
		located.delete(key);
		throw refuse(name.includes('/') ? `no executable ${name}` : `no executable '${name}' in PATH ${path}`);
	}
	located.set(key, found);
	return found;
}

// socket(2)'s SOCK_NONBLOCK is O_NONBLOCK: 0x80 on MIPS, 0o4000 on the other OpenWrt targets.
const SOCK_NONBLOCK = tjs.system.arch.startsWith('mips') ? 0x80 : 0o4000;
const SOL_RAW = 255;
const ICMP_FILTER = 1;

function ebadf(what: string): Error {
	return Object.assign(new Error(`EBADF: ${what} on a closed socket`), { code: 'EBADF' });
}

/**
 * Raw ICMP socket (root): non-blocking, so a read can never stall the loop; the kernel's ICMP_FILTER
 * passes only echo replies, so the other ICMP traffic to this address never wakes us. Replies come
 * with their IP header and are matched on identifier, sequence AND sender.
 */
function openIcmp(source: string): IcmpSocket {
	const D = PosixSocket.defines;
	const s = new PosixSocket(D.AF_INET, D.SOCK_RAW | SOCK_NONBLOCK, D.IPPROTO_ICMP);
	try {
		s.bind(PosixSocket.createSockaddrIn(source, 0));
	} catch (e) {
		s.close();
		throw Object.assign(new Error(`EADDRNOTAVAIL: ICMP socket not bound to ${source}: ${(e as Error).message}`), { code: 'EADDRNOTAVAIL' });
	}
	try {
		// A set bit drops that type: everything but type 0 (echo reply). The mask is in host order.
		s.setopt(SOL_RAW, ICMP_FILTER, new Uint8Array(new Uint32Array([~1 >>> 0]).buffer));
	} catch {
		// Without the filter every ICMP packet is read and parsed, then dropped: slower, not wrong.
	}
	const id = Math.floor(Math.random() * 0x10000);
	let seq = Math.floor(Math.random() * 0x10000);
	const pending = new Map<number, { target: string; sent: number; done(rtt: number | null): void }>();
	let closed = false;
	s.poll({
		read: () => {
			// One read per wakeup (the poll is level-triggered): a failed recvmsg leaks its buffer in 24.12.
			// 128 bytes hold the largest IP header and the ICMP header; the payload is cut off.
			try {
				const r = parseEchoReply(s.recvmsg(128).data);
				const p = r && r.id === id ? pending.get(r.seq) : undefined;
				if (p && p.target === r!.from) p.done(performance.now() - p.sent);
			} catch {
				// Nothing to read after all, or an error queued on the socket: the echo times out.
			}
		},
		error: () => undefined,
	});
	return {
		echo(target, size, timeoutMs) {
			if (closed) return Promise.reject(ebadf('ICMP echo'));
			do seq = (seq + 1) & 0xffff;
			while (pending.has(seq));
			const mine = seq;
			const packet = echoRequest(id, mine, size);
			// checksum() gives the sum in network order as a host-order number: stored as it comes.
			new Uint16Array(packet.buffer, 2, 1)[0] = PosixSocket.checksum(packet);
			return new Promise<number | null>((resolve) => {
				const done = (rtt: number | null, fromTimer = false) => {
					if (pending.get(mine)?.done !== done) return;
					pending.delete(mine);
					// Never clear a timer from its own callback: that aborts tjs 24.12.
					if (!fromTimer) clearTimeout(timer);
					resolve(rtt === null ? null : Math.round(rtt * 1000) / 1000);
				};
				const timer = setTimeout(() => done(null, true), timeoutMs);
				pending.set(mine, { target, sent: performance.now(), done });
				try {
					s.sendmsg(PosixSocket.createSockaddrIn(target, 0), undefined, 0, packet);
				} catch {
					done(null); // no route, the source address is gone, a bad target: lost
				}
			});
		},
		close() {
			if (closed) return;
			closed = true;
			for (const p of [...pending.values()]) p.done(null);
			// Later: a close() reached from inside the poll callback would throw in tjs 24.12.
			setTimeout(() => {
				s.stopPoll();
				s.close();
			}, 0);
		},
	};
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
// EINPROGRESS, the non-blocking connect's "started": 150 on MIPS, 115 elsewhere.
const EINPROGRESS = tjs.system.arch.startsWith('mips') ? 150 : 115;

/**
 * A TCP connect on a non-blocking raw socket, not tjs.connect: tjs.connect cannot be abandoned, so
 * each timed-out probe of a dead path kept its fd in SYN-SENT for the kernel's ~2 minutes of
 * retries (5 probes a second ran out of fds). Closing this socket at the timeout ends the attempt.
 */
function probeTcp4(address: string, port: number, timeoutMs: number, source?: string): Promise<boolean> {
	const D = PosixSocket.defines;
	return new Promise<boolean>((resolve) => {
		let s: PosixSocket;
		try {
			s = new PosixSocket(D.AF_INET, D.SOCK_STREAM | SOCK_NONBLOCK, D.IPPROTO_TCP);
		} catch {
			resolve(false); // out of fds: nothing reachable from here now
			return;
		}
		let timer: ReturnType<typeof setTimeout> | undefined;
		let settled = false;
		let polling = false;
		const finish = (open: boolean, fromTimer = false) => {
			if (settled) return;
			settled = true;
			if (!fromTimer) clearTimeout(timer);
			// Later, never inside the poll callback: tjs 24.12 refuses to stop or close a socket there.
			setTimeout(() => {
				if (polling) s.stopPoll();
				s.close();
			}, 0);
			resolve(open);
		};
		try {
			if (source !== undefined) s.bind(PosixSocket.createSockaddrIn(source, 0));
			s.connect(PosixSocket.createSockaddrIn(address, port));
			finish(true); // connected at once (a local address)
			return;
		} catch (e) {
			// Errors come as "strerror (errno)"; anything but "in progress" failed already.
			if (!(e as Error).message.endsWith(`(${EINPROGRESS})`)) {
				finish(false);
				return;
			}
		}
		timer = setTimeout(() => finish(false, true), timeoutMs);
		polling = true;
		// Writable once the handshake ended; SO_ERROR says how (0: open, ECONNREFUSED, ...).
		s.poll({
			write: () => {
				try {
					finish(new Int32Array(s.getopt(D.SOL_SOCKET, D.SO_ERROR, 4).slice(0, 4).buffer)[0] === 0);
				} catch {
					finish(false);
				}
			},
			error: () => finish(false),
		});
	});
}

let devLog: { send(msg: Uint8Array): void } | null | undefined;
const logQueue: [LogLevel, string][] = [];

async function openDevLog(): Promise<typeof devLog> {
	try {
		const { PosixSocket } = await import('tjs:posix-socket');
		const d = PosixSocket.defines;
		const sock = new PosixSocket(d.AF_UNIX, d.SOCK_DGRAM, 0);
		// sockaddr_un: sun_family in host byte order, then the path and a NUL.
		const path = encodeUtf8('/dev/log');
		const addr = new Uint8Array(2 + path.length + 1);
		new DataView(addr.buffer).setUint16(0, d.AF_UNIX, new Uint8Array(new Uint16Array([1]).buffer)[0] === 1);
		addr.set(path, 2);
		sock.connect(addr);
		return { send: (msg) => void sock.write(msg) };
	} catch {
		return null;
	}
}

export const tjsRuntime: Runtime = {
	args: tjs.args.slice(3),
	pid: tjs.pid,
	env: (name) => tjs.env[name],

	// Not tjs.readFile: on tjs 24.12 each call grows peak RSS by ~33 MB. One sized read does not.
	readFile,

	async writeFileAtomic(link, data, mode, durable = true) {
		const path = await writeTarget(link);
		const fh = await tjs.makeTempFile(`${path}.tmpXXXXXX`);
		const tmp = fh.path;
		try {
			await fh.write(bytes(data));
			await fh.chmod(mode);
			if (durable) await fh.sync();
			await fh.close();
			await tjs.rename(tmp, path);
		} catch (e) {
			await fh.close().catch(() => {});
			await tjs.remove(tmp).catch(() => {});
			throw e;
		}
		if (durable) await syncDir(dirOf(path));
	},

	async createExclusive(path, data, mode) {
		let fh: tjs.FileHandle;
		try {
			fh = await tjs.open(path, 'wx', mode);
		} catch (e) {
			if (errCode(e) === 'EEXIST') return false;
			throw e;
		}
		try {
			await fh.write(bytes(data));
		} finally {
			await fh.close();
		}
		return true;
	},

	stat: async (path) => {
		const st = await orNull(tjs.stat(path));
		return st && info(st);
	},
	lstat: async (path) => {
		const st = await orNull(tjs.lstat(path));
		return st && info(st);
	},
	readLink: (path) => orNull(tjs.readLink(path)),
	symlink: (target, path) => tjs.symlink(target, path),
	chmod: (path, mode) => tjs.chmod(path, mode),
	rename: (from, to) => tjs.rename(from, to),
	remove: (path) => tjs.remove(path),
	makeDir,

	async readDir(path) {
		const names: string[] = [];
		for await (const ent of await tjs.readDir(path)) names.push(ent.name);
		return names.sort();
	},

	async spawn(argv: readonly string[], opts: SpawnOptions = {}): Promise<SpawnResult> {
		const inherit = opts.inherit === true;
		let env: Record<string, string> | undefined;
		if (opts.env) env = { ...(tjs.env as unknown as { toJSON(): Record<string, string> }).toJSON(), ...opts.env };
		const program = await locate(argv[0] ?? '', (env ?? tjs.env).PATH ?? DEFAULT_PATH, opts.cwd);
		const proc = tjs.spawn([program, ...argv.slice(1)], {
			stdin: opts.input === undefined ? 'ignore' : 'pipe',
			stdout: inherit ? 'inherit' : 'pipe',
			stderr: inherit ? 'inherit' : 'pipe',
			...(env ? { env } : {}),
			...(opts.cwd ? { cwd: opts.cwd } : {}),
		});
		// wait() must be called before the child can exit, and only once (24.12 aborts otherwise).
		const done = proc.wait();
		let timedOut = false;
		const timer =
			opts.timeoutMs === undefined
				? undefined
				: setTimeout(() => {
						timedOut = true;
						try {
							proc.kill('SIGKILL');
						} catch {
							// already gone
						}
					}, opts.timeoutMs);
		try {
			const feeding = (async () => {
				if (opts.input === undefined || !proc.stdin) return;
				try {
					await writeAll(proc.stdin, bytes(opts.input));
				} finally {
					// Closing stdin is how the child learns the input ended.
					(proc.stdin as unknown as { close(): void }).close();
				}
			})().catch(() => {});
			const [stdout, stderr, status] = await Promise.all([drain(proc.stdout), drain(proc.stderr), done, feeding]);
			return {
				code: status.term_signal ? null : status.exit_status,
				signal: status.term_signal ?? null,
				stdout,
				stderr,
				timedOut,
			};
		} finally {
			if (timer !== undefined) clearTimeout(timer);
		}
	},

	// Every call makes a new socket object, and a closed Conn never touches its socket again:
	// in tjs 24.12 connecting a socket object again after close() never finishes.
	async connectUnix(path: string): Promise<Conn> {
		const c = (await tjs.connect('pipe', path)) as tjs.Connection;
		let closed = false;
		return {
			async read(buf) {
				if (closed) return null;
				const n = await c.read(buf);
				return n === undefined || n === null || closed ? null : n;
			},
			async write(data) {
				if (closed) throw Object.assign(new Error(`EBADF: write on a closed connection to ${path}`), { code: 'EBADF' });
				await c.write(data);
			},
			close() {
				if (closed) return;
				closed = true;
				// close() alone: shutdown() + close() ends the process in 24.12.
				c.close();
			},
		};
	},

	async probeTcp(address: string, port: number, timeoutMs: number, source?: string): Promise<boolean> {
		if (IPV4.test(address) && (source === undefined || IPV4.test(source))) return probeTcp4(address, port, timeoutMs, source);
		// 24.12 takes bindAddr as {ip, port} (family may be left out; a bare string is EAFNOSUPPORT).
		const options = source === undefined ? undefined : ({ bindAddr: { ip: source, port: 0 } } as tjs.ConnectOptions);
		const pending = tjs.connect('tcp', address, port, options) as Promise<tjs.Connection>;
		try {
			(await withTimeout(pending, timeoutMs, 'timeout')).close();
			return true;
		} catch {
			// A connection that opens after the timeout is closed when it does.
			void pending.then((c) => c.close(), () => undefined);
			return false;
		}
	},

	openIcmp,

	async sendFrame(device: string, frame: Uint8Array): Promise<void> {
		const D = PosixSocket.defines;
		const index = PosixSocket.nametoindex(device);
		if (!index) throw Object.assign(new Error(`ENODEV: no device ${device}`), { code: 'ENODEV' });
		// struct sockaddr_ll: family (host order: little-endian, the package excludes big-endian targets), protocol (network order), ifindex, hatype, pkttype, halen, addr[8].
		const sa = new Uint8Array(20);
		const dv = new DataView(sa.buffer);
		dv.setUint16(0, D.AF_PACKET, true);
		dv.setUint16(2, (frame[12]! << 8) | frame[13]!, false);
		dv.setInt32(4, index, true);
		sa[11] = 6;
		sa.set(frame.subarray(0, 6), 12);
		const s = new PosixSocket(D.AF_PACKET, D.SOCK_RAW, 0);
		try {
			s.sendmsg(sa, undefined, 0, frame);
		} finally {
			s.close();
		}
	},

	watchNetlink(groups: number, onMessage: (data: Uint8Array) => void): () => void {
		const D = PosixSocket.defines;
		const s = new PosixSocket(D.AF_NETLINK, D.SOCK_RAW, 0 /* NETLINK_ROUTE */);
		// struct sockaddr_nl: family, pad, pid (0: the kernel picks), groups.
		const sa = new Uint8Array(12);
		const dv = new DataView(sa.buffer);
		dv.setUint16(0, D.AF_NETLINK, true);
		dv.setUint32(8, groups, true);
		s.bind(sa);
		let open = true;
		// recvmsg, not recv: recv(size) misreads its size in 24.12 (a huge allocation, then EFAULT).
		s.poll({
			read: () => {
				if (open) onMessage(s.recvmsg(16384).data);
			},
		});
		return () => {
			if (!open) return;
			open = false;
			s.stopPoll();
			s.close();
		};
	},

	async bindUdp(address: string, port: number): Promise<Udp> {
		// 24.12: recv() resolves to {nread, addr} and send() to a byte count, whatever the typings say.
		const u = (await tjs.listen('udp', address, port)) as unknown as {
			recv(buf: Uint8Array): Promise<{ nread: number; addr: { ip: string; port: number } } | undefined>;
			send(buf: Uint8Array, addr: { ip: string; port: number }): Promise<unknown>;
			close(): void;
		};
		let closed = false;
		const buf = new Uint8Array(2048);
		return {
			async receive() {
				if (closed) return null;
				const r = await u.recv(buf).catch(() => undefined);
				if (closed || !r) return null;
				return { data: buf.slice(0, r.nread), address: r.addr.ip, port: r.addr.port };
			},
			async send(data, ip, p) {
				if (closed) throw Object.assign(new Error(`EBADF: send on a closed UDP socket`), { code: 'EBADF' });
				await u.send(data, { ip, port: p });
			},
			close() {
				if (closed) return;
				closed = true;
				u.close();
			},
		};
	},

	now: () => performance.now(),
	wallClock: () => Date.now(),
	sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),

	stdout: (text) => writeAll(tjs.stdout, encodeUtf8(text)),
	stderr: (text) => writeAll(tjs.stderr, encodeUtf8(text)),

	async readStdin() {
		return drain(tjs.stdin as unknown as tjs.Reader);
	},

	async syslog(level, message) {
		if (devLog === undefined) devLog = await openDevLog();
		try {
			if (devLog) {
				devLog.send(encodeUtf8(`<${DAEMON | SYSLOG_PRIORITY[level]}>ha-router[${tjs.pid}]: ${message}`));
				return;
			}
		} catch {
			devLog = null;
		}
		logQueue.push([level, message.replace(/\n/g, ' ')]);
	},

	async flushLogs() {
		// One `logger` per run of lines with the same level; it logs each stdin line.
		while (logQueue.length) {
			const level = logQueue[0]![0];
			let n = 0;
			while (n < logQueue.length && logQueue[n]![0] === level) n++;
			const lines = logQueue.splice(0, n).map((l) => `${l[1]}\n`).join('');
			try {
				await tjsRuntime.spawn(['logger', '-t', `ha-router[${tjs.pid}]`, '-p', `daemon.${level}`], { input: lines, timeoutMs: 2000 });
			} catch {
				// No syslog at all: logging must never break a transition.
			}
		}
	},

	ignoreSignal(name) {
		// A listener replaces the default action (termination).
		tjs.addSignalListener(name, () => {});
	},

	exit: (code) => {
		tjs.exit(code);
		throw new Error('unreachable: tjs.exit returned');
	},
};
