// conntrackd client commands (`conntrackd -C <conf> <flag>`), as in conntrack-tools'
// primary-backup.sh. The daemon answers over its UNIX socket; the client exits 1 on failure.
// A flush the daemon takes for "during a commit" is ignored: it only logs "ignoring flush
// command, commit still in progress" and the client still exits 0. Seen with 1.4.7 even for a
// `-f` right after a `-c` had returned (the daemon clears its commit state a loop turn later).
// With `logFile` set, the new log lines after each flush are checked and that case becomes a
// ConntrackdBusyError, so the caller can wait a moment and flush again.

import { SystemError } from '../errors.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { run } from './run.ts';
import { decodeUtf8 } from '../util/utf8.ts';

export interface ConntrackdOptions {
	readonly program?: string;
	/** Most commands answer at once; a commit of a large table takes longer. */
	readonly timeoutMs?: number;
	readonly commitTimeoutMs?: number;
	/** The daemon's LogFile, to notice ignored flushes (see above). */
	readonly logFile?: string;
}

/** The daemon is busy with a commit: worth a retry after a short wait. */
export class ConntrackdBusyError extends SystemError {}

/** Numbers from `conntrackd -s`, by section ("cache internal") then key ("current active connections"). */
export type ConntrackdStats = Record<string, Record<string, number>>;

export interface CacheCounts {
	readonly internal: number | null;
	readonly external: number | null;
}

export interface Conntrackd {
	/** -c: commit the external cache to the kernel table (takeover). */
	commit(): Promise<void>;
	/** -f [internal|external]: flush caches (both by default). */
	flush(which?: 'internal' | 'external'): Promise<void>;
	/** -R: resync the internal cache with the kernel table. */
	resyncKernel(): Promise<void>;
	/** -B: bulk-send our states to the peer. */
	bulkSend(): Promise<void>;
	/** -t: shorten kernel timers so zombie entries go (PurgeTimeout). */
	resetTimers(): Promise<void>;
	/** -n: ask the peer for a resync (FTFW). */
	requestResync(): Promise<void>;
	/** -s [kind]: statistics, parsed. */
	stats(kind?: 'network' | 'cache' | 'runtime' | 'link' | 'rsqueue' | 'process' | 'queue' | 'ct' | 'expect'): Promise<ConntrackdStats>;
	/** Active entries in the internal and external caches (from plain -s). */
	cacheCounts(): Promise<CacheCounts>;
}

const BUSY = /in progress/i;

/**
 * Parses `conntrackd -s` text: a line ending in ':' opens a section; `name: value` pairs
 * (several per line, tab separated) become numbers. Lines like "0 Bytes  0 Pckts" give
 * "Bytes"/"Pckts" keys.
 */
export function parseStats(text: string): ConntrackdStats {
	const out: ConntrackdStats = {};
	let section = '';
	for (const raw of text.split('\n')) {
		const line = raw.trim();
		if (line === '') continue;
		const head = /^([^:]+):$/.exec(line) ?? /^(cache):(\w+)\t/.exec(line);
		if (head) {
			section = head[2] ? `cache ${head[2]}` : head[1]!.trim();
			out[section] ??= {};
			if (!head[2]) continue;
		}
		const into = (out[section] ??= {});
		const pairs = [...line.matchAll(/([A-Za-z][^:\t]*?):\s*(-?\d+)/g)];
		for (const m of pairs) into[m[1]!.trim()] = Number(m[2]);
		// "8 Bytes sent      0 Bytes recv": the words up to the next wide gap name the number.
		if (pairs.length === 0) for (const m of line.matchAll(/(-?\d+) +([A-Za-z]+(?: [A-Za-z]+)*)/g)) into[m[2]!] = Number(m[1]);
	}
	return out;
}

export function conntrackd(rt: Runtime, conf: string, opts: ConntrackdOptions = {}): Conntrackd {
	const program = opts.program ?? 'conntrackd';
	async function cmd(args: string[], timeoutMs = opts.timeoutMs ?? 10_000): Promise<string> {
		try {
			const r = await run(rt, [program, '-C', conf, ...args], { timeoutMs });
			if (BUSY.test(r.stdout) || BUSY.test(r.stderr)) throw new ConntrackdBusyError('conntrackd', `${args.join(' ')}: ${r.stdout.trim() || r.stderr.trim()}`, r.code, r.stderr);
			return r.stdout;
		} catch (e) {
			if (e instanceof SystemError && !(e instanceof ConntrackdBusyError) && BUSY.test(`${e.message}\n${e.stderr}`)) {
				throw new ConntrackdBusyError('conntrackd', e.message.replace(/^conntrackd: /, ''), e.code, e.stderr);
			}
			throw e;
		}
	}
	return {
		commit: async () => void (await cmd(['-c'], opts.commitTimeoutMs ?? 60_000)),
		async flush(which) {
			const before = opts.logFile ? ((await rt.stat(opts.logFile))?.size ?? 0) : 0;
			await cmd(which ? ['-f', which] : ['-f']);
			if (!opts.logFile) return;
			const log = await rt.readFile(opts.logFile);
			if (log && log.length > before && /commit still in progress/.test(decodeUtf8(log, before))) {
				throw new ConntrackdBusyError('conntrackd', `-f${which ? ` ${which}` : ''}: ignored, commit still in progress`);
			}
		},
		resyncKernel: async () => void (await cmd(['-R'])),
		bulkSend: async () => void (await cmd(['-B'])),
		resetTimers: async () => void (await cmd(['-t'])),
		requestResync: async () => void (await cmd(['-n'])),
		stats: async (kind) => parseStats(await cmd(kind ? ['-s', kind] : ['-s'])),
		async cacheCounts() {
			const s = parseStats(await cmd(['-s']));
			return {
				internal: s['cache internal']?.['current active connections'] ?? null,
				external: s['cache external']?.['current active connections'] ?? null,
			};
		},
	};
}
