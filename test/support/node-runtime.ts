// The Runtime on Node, for unit tests only (the bundle never contains it).
import { spawn as nodeSpawn } from 'node:child_process';
import { promises as fs, constants } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';
import { brokenLinkError } from '../../src/runtime/broken-link.ts';
import type { Conn, Udp, FileInfo, Runtime, SpawnOptions, SpawnResult } from '../../src/runtime/runtime.ts';
import { encodeUtf8 } from '../../src/util/utf8.ts';

export interface NodeRuntimeOptions {
	args?: string[];
	env?: Record<string, string>;
	stdin?: string;
}

/** A Runtime whose stdout/stderr/syslog are captured in memory, for asserting on. */
export interface CapturingRuntime extends Runtime {
	out: string;
	err: string;
	logs: string[];
}

function info(st: import('node:fs').Stats): FileInfo {
	return { mode: st.mode & 0o7777, size: st.size, isFile: st.isFile(), isDirectory: st.isDirectory(), isSymlink: st.isSymbolicLink(), mtimeMs: st.mtimeMs };
}

async function orNull<T>(p: Promise<T>): Promise<T | null> {
	try {
		return await p;
	} catch (e) {
		const code = (e as NodeJS.ErrnoException).code;
		if (code === 'ENOENT' || code === 'ENOTDIR') return null;
		throw e;
	}
}

/** As the tjs runtime: a write follows a symbolic link to its file; a broken link is a sentence. */
async function writeTarget(p: string): Promise<string> {
	const st = await orNull(fs.lstat(p));
	if (!st?.isSymbolicLink()) return p;
	try {
		return await fs.realpath(p);
	} catch (e) {
		throw brokenLinkError(p, await fs.readlink(p).catch(() => null), (e as NodeJS.ErrnoException).code) ?? e;
	}
}

export function nodeRuntime(opts: NodeRuntimeOptions = {}): CapturingRuntime {
	const rt: CapturingRuntime = {
		out: '',
		err: '',
		logs: [],
		args: opts.args ?? [],
		pid: process.pid,
		env: (name) => (opts.env && name in opts.env ? opts.env[name] : process.env[name]),
		readFile: async (p) => {
			try {
				const b = await orNull(fs.readFile(p));
				return b && new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
			} catch (e) {
				throw ((e as NodeJS.ErrnoException).code === 'ELOOP' && brokenLinkError(p, null, 'ELOOP')) || e;
			}
		},
		async writeFileAtomic(link, data, mode, durable = true) {
			const p = await writeTarget(link);
			const tmp = `${p}.tmp${process.pid}${Math.random().toString(36).slice(2, 8)}`;
			const fh = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
			try {
				// encodeUtf8, not Node's encoder: it writes bytes decodeUtf8 kept back as they were.
				await fh.writeFile(typeof data === 'string' ? encodeUtf8(data) : data);
				await fh.chmod(mode);
				if (durable) await fh.sync();
			} finally {
				await fh.close();
			}
			await fs.rename(tmp, p);
		},
		async createExclusive(p, data, mode) {
			try {
				await fs.writeFile(p, data, { flag: 'wx', mode });
				return true;
			} catch (e) {
				if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
				throw e;
			}
		},
		stat: async (p) => {
			const st = await orNull(fs.stat(p));
			return st && info(st);
		},
		lstat: async (p) => {
			const st = await orNull(fs.lstat(p));
			return st && info(st);
		},
		readLink: (p) => orNull(fs.readlink(p)),
		symlink: (t, p) => fs.symlink(t, p),
		chmod: (p, m) => fs.chmod(p, m),
		rename: (a, b) => fs.rename(a, b),
		remove: (p) => fs.rm(p, { recursive: true, force: true }),
		makeDir: async (p, mode = 0o755) => {
			await fs.mkdir(p, { recursive: true, mode });
		},
		readDir: async (p) => (await fs.readdir(p)).sort(),
		spawn: (argv, o: SpawnOptions = {}) =>
			new Promise<SpawnResult>((resolve, reject) => {
				const child = nodeSpawn(argv[0]!, argv.slice(1), {
					env: o.env ? { ...process.env, ...o.env } : process.env,
					cwd: o.cwd,
					stdio: [o.input === undefined ? 'ignore' : 'pipe', o.inherit ? 'inherit' : 'pipe', o.inherit ? 'inherit' : 'pipe'],
				});
				let stdout = '';
				let stderr = '';
				let timedOut = false;
				child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
				child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
				const timer = o.timeoutMs === undefined ? undefined : setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), o.timeoutMs);
				child.on('error', (e) => {
					clearTimeout(timer);
					reject(e);
				});
				child.on('close', (code, signal) => {
					clearTimeout(timer);
					resolve({ code, signal, stdout, stderr, timedOut });
				});
				if (o.input !== undefined) child.stdin?.end(o.input);
			}),
		watchNetlink: () => () => undefined,
		sendFrame: async () => {
			throw Object.assign(new Error('EOPNOTSUPP: raw frames are sent by the tjs runtime only'), { code: 'EOPNOTSUPP' });
		},
		openIcmp: () => {
			throw Object.assign(new Error('EOPNOTSUPP: ICMP sockets are opened by the tjs runtime only'), { code: 'EOPNOTSUPP' });
		},
		probeTcp: (address, port, timeoutMs, source) =>
			new Promise<boolean>((resolve) => {
				const sock = net.createConnection({ host: address, port, timeout: timeoutMs, ...(source === undefined ? {} : { localAddress: source }) });
				const done = (ok: boolean) => (sock.destroy(), resolve(ok));
				sock.on('connect', () => done(true));
				sock.on('timeout', () => done(false));
				sock.on('error', () => done(false));
			}),
		bindUdp: (address, port) =>
			new Promise<Udp>((resolve, reject) => {
				const sock = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
				const queue: { data: Uint8Array; address: string; port: number }[] = [];
				let closed = false;
				let waiter: (() => void) | null = null;
				sock.on('message', (msg, rinfo) => {
					queue.push({ data: new Uint8Array(msg), address: rinfo.address, port: rinfo.port });
					const w = waiter;
					waiter = null;
					w?.();
				});
				sock.once('error', reject);
				sock.bind(port, address, () =>
					resolve({
						async receive() {
							while (queue.length === 0 && !closed) await new Promise<void>((r) => (waiter = r));
							return closed ? null : queue.shift()!;
						},
						send: (data, ip, p) => new Promise<void>((res, rej) => sock.send(data, p, ip, (e) => (e ? rej(e) : res()))),
						close() {
							if (closed) return;
							closed = true;
							sock.close();
							const w = waiter;
							waiter = null;
							w?.();
						},
					}),
				);
			}),
		connectUnix: (p) =>
			new Promise<Conn>((resolve, reject) => {
				const sock = net.createConnection(p);
				const queue: Buffer[] = [];
				let ended = false;
				let waiter: (() => void) | null = null;
				const wake = () => {
					const w = waiter;
					waiter = null;
					w?.();
				};
				sock.on('data', (d) => {
					queue.push(d);
					wake();
				});
				sock.on('end', () => ((ended = true), wake()));
				sock.on('close', () => ((ended = true), wake()));
				sock.once('error', (e) => {
					ended = true;
					wake();
					reject(e);
				});
				sock.once('connect', () =>
					resolve({
						async read(buf) {
							while (queue.length === 0 && !ended) await new Promise<void>((r) => (waiter = r));
							const head = queue.shift();
							if (!head) return null;
							const n = Math.min(buf.length, head.length);
							buf.set(head.subarray(0, n));
							if (n < head.length) queue.unshift(head.subarray(n));
							return n;
						},
						write: (data) => new Promise<void>((res, rej) => sock.write(data, (e) => (e ? rej(e) : res()))),
						close() {
							ended = true;
							sock.destroy();
							wake();
						},
					}),
				);
			}),
		now: () => performance.now(),
		wallClock: () => Date.now(),
		sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
		stdout: async (t) => {
			rt.out += t;
		},
		stderr: async (t) => {
			rt.err += t;
		},
		readStdin: async () => opts.stdin ?? '',
		syslog: async (level, msg) => {
			rt.logs.push(`${level}: ${msg}`);
		},
		flushLogs: async () => {},
		ignoreSignal: (name) => {
			process.on(name, () => {});
		},
		exit: (code) => {
			throw new Error(`exit(${code}) called in a unit test`);
		},
	};
	return rt;
}

/** A fresh temporary directory. */
export async function tempDir(prefix = 'ha-router-'): Promise<string> {
	const os = await import('node:os');
	return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}
