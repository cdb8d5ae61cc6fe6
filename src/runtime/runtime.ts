// The runtime seam: every effect on the host goes through this small interface.
// src/runtime/tjs.ts implements it on txiki.js (the only file that touches `tjs.*`);
// test/support/node-runtime.ts implements it on Node for unit tests.

export interface SpawnOptions {
	/** Bytes or text written to the child's stdin, which is then closed. */
	input?: string | Uint8Array;
	/** Kill the child (SIGKILL) after this many ms; the result then has timedOut = true. */
	timeoutMs?: number;
	/** Variables added to (not replacing) the inherited environment. */
	env?: Record<string, string>;
	cwd?: string;
	/** Let the child write straight to our stdout/stderr instead of capturing. */
	inherit?: boolean;
}

export interface SpawnResult {
	/** Exit code; null when the child died from a signal. */
	code: number | null;
	signal: string | null;
	stdout: string;
	stderr: string;
	timedOut: boolean;
}

/** A connected stream socket (AF_UNIX), used once: after close() it is done; reconnect with a new connectUnix(). */
export interface Conn {
	/** Resolves to the byte count, or null at EOF or after close(). Only one read may be pending. */
	read(buf: Uint8Array): Promise<number | null>;
	/** Rejects (EBADF) after close(). */
	write(data: Uint8Array): Promise<void>;
	close(): void;
}

/** A bound UDP socket (the peer link). One object per bind: after close() it is done. */
export interface Udp {
	/** The next datagram; null after close(). Only one receive may be pending. */
	receive(): Promise<{ data: Uint8Array; address: string; port: number } | null>;
	send(data: Uint8Array, address: string, port: number): Promise<void>;
	close(): void;
}

/**
 * A raw ICMP socket bound to one local IPv4 address (the uplink probes): echoes leave from that
 * address, so the output chain routes them by its uplink's table. Used once: after close() it is done.
 */
export interface IcmpSocket {
	/**
	 * One echo request with `size` payload bytes to `target` (IPv4). Resolves to the round trip in ms,
	 * or null when no matching reply came within timeoutMs, the send failed, or close() came first.
	 * Several may be pending at once, each gets its own reply. Rejects (EBADF) after close().
	 */
	echo(target: string, size: number, timeoutMs: number): Promise<number | null>;
	close(): void;
}

export interface FileInfo {
	mode: number;
	size: number;
	isFile: boolean;
	isDirectory: boolean;
	isSymlink: boolean;
	/** Last modification, ms since the epoch. */
	mtimeMs: number;
}

export type LogLevel = 'err' | 'warning' | 'notice' | 'info' | 'debug';

export interface Runtime {
	/** The user's arguments (after `tjs run script`). */
	readonly args: readonly string[];
	readonly pid: number;
	env(name: string): string | undefined;

	/** The whole file, or null if it does not exist. Other errors throw (a link loop with a sentence). */
	readFile(path: string): Promise<Uint8Array | null>;
	/**
	 * Temp file in the same directory, fsync, rename over `path`, fsync the directory. A symbolic
	 * link is followed and kept: the target is replaced, next to itself; a dangling link or a loop
	 * throws a sentence. `durable` false skips both fsyncs: for the run directory, a tmpfs whose
	 * files a power cut loses anyway (the rename alone keeps readers from a half-written file).
	 */
	writeFileAtomic(path: string, data: string | Uint8Array, mode: number, durable?: boolean): Promise<void>;
	/** Create `path` only if it does not exist yet; false if it already did (for lock files). */
	createExclusive(path: string, data: string, mode: number): Promise<boolean>;
	stat(path: string): Promise<FileInfo | null>;
	lstat(path: string): Promise<FileInfo | null>;
	readLink(path: string): Promise<string | null>;
	symlink(target: string, path: string): Promise<void>;
	chmod(path: string, mode: number): Promise<void>;
	rename(from: string, to: string): Promise<void>;
	/** rm -rf; a missing path is fine. */
	remove(path: string): Promise<void>;
	makeDir(path: string, mode?: number): Promise<void>;
	readDir(path: string): Promise<string[]>;

	/**
	 * Runs argv[0] (a path, or a name looked up in PATH as execvp does). A program that is not
	 * there, or a missing cwd, rejects with code ENOENT before anything is spawned.
	 */
	spawn(argv: readonly string[], opts?: SpawnOptions): Promise<SpawnResult>;
	connectUnix(path: string): Promise<Conn>;
	/** Sends one raw Ethernet frame (with its header) out of this device (AF_PACKET). */
	sendFrame(device: string, frame: Uint8Array): Promise<void>;
	/**
	 * Listens to rtnetlink (NETLINK_ROUTE) multicast groups; each datagram goes to onMessage as is.
	 * Returns the function that stops listening.
	 */
	watchNetlink(groups: number, onMessage: (data: Uint8Array) => void): () => void;
	/** Binds a UDP socket to this local address and port (0: any free port). */
	bindUdp(address: string, port: number): Promise<Udp>;
	/**
	 * Whether a TCP connection to address:port opens within timeoutMs (then closed at once); from the
	 * local address `source` when given (false if it is not ours).
	 */
	probeTcp(address: string, port: number, timeoutMs: number, source?: string): Promise<boolean>;
	/**
	 * Opens a raw ICMP socket bound to this local IPv4 address. Throws with code EADDRNOTAVAIL when
	 * the address is not (or no longer) ours; other failures (EPERM without root) throw as they come.
	 */
	openIcmp(source: string): IcmpSocket;

	/** Monotonic milliseconds. */
	now(): number;
	/** Wall clock, ms since the epoch. */
	wallClock(): number;
	sleep(ms: number): Promise<void>;

	stdout(text: string): Promise<void>;
	stderr(text: string): Promise<void>;
	readStdin(): Promise<string>;
	/**
	 * One line to syslog under the tag `ha-router`. Never throws. Without /dev/log the lines
	 * wait for flushLogs(), so a transition does not pay for a `logger` process per line.
	 */
	syslog(level: LogLevel, message: string): Promise<void>;
	flushLogs(): Promise<void>;
	/** Keep running when this signal arrives (its default would end the process). */
	ignoreSignal(name: 'SIGTERM' | 'SIGHUP' | 'SIGINT'): void;
	exit(code: number): never;
}
