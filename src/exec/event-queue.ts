// Serializes keepalived's hook runs across processes, like netifd's hook queue: one transition
// runs at a time, at most one event waits, and a newer event replaces the waiting one and stops
// a running plan whose state it contradicts. keepalived forks hooks in event order, so the
// order key is the process start time (then pid), which survives any scheduling race.

import type { Runtime } from '../runtime/runtime.ts';
import { isVrrpState, type StateEvent } from '../plan/event.ts';
import type { VrrpState } from '../model/types.ts';
import { decodeUtf8 } from '../util/utf8.ts';
import { tryLock, withLock } from './lock.ts';
import { readJson } from './read-json.ts';

export interface QueuedEvent {
	/** Order key: larger is newer. */
	readonly key: string;
	readonly event: StateEvent;
}

export interface QueueFiles {
	readonly pending: string;
	readonly queueLock: string;
	readonly runnerLock: string;
	/** The key of the newest event ever accepted: anything older arrived too late. */
	readonly latest: string;
	readonly announced: string;
}

/** The state keepalived announced last, one word: the peer agent's view of our role before the plan ends. */
export function announcedFile(runDir: string): string {
	return `${runDir}/announced`;
}

/** The state keepalived announced last, or null before the first one (or a file that is not ours). */
export async function readAnnounced(rt: Runtime, runDir: string): Promise<VrrpState | null> {
	const raw = await rt.readFile(announcedFile(runDir));
	const word = raw ? decodeUtf8(raw).trim() : '';
	return isVrrpState(word) ? word : null;
}

export function queueFiles(runDir: string): QueueFiles {
	return { pending: `${runDir}/pending.json`, queueLock: `${runDir}/queue.lock`, runnerLock: `${runDir}/runner.lock`, latest: `${runDir}/latest`, announced: announcedFile(runDir) };
}

/** This process's order key: start time in clock ticks from /proc/self/stat, then pid. */
export async function processKey(rt: Runtime): Promise<string> {
	const raw = await rt.readFile('/proc/self/stat');
	let start = '0';
	if (raw) {
		// Field 2 (comm) may contain spaces: count fields after its closing parenthesis.
		const text = decodeUtf8(raw);
		start = text.slice(text.lastIndexOf(')') + 2).split(' ')[19] ?? '0';
	}
	return `${start.padStart(16, '0')}.${String(rt.pid).padStart(10, '0')}`;
}

export type SubmitOutcome = 'handled' | 'queued' | 'stale';

export type Handler = (q: QueuedEvent, superseded: () => Promise<boolean>) => Promise<void>;

/**
 * Offers an event. If no transition is running, this process becomes the runner and handles
 * events until none is waiting; otherwise the running process picks the event up.
 */
export async function submitEvent(rt: Runtime, files: QueueFiles, mine: QueuedEvent, handle: Handler, onAccepted?: () => Promise<void>): Promise<SubmitOutcome> {
	const accepted = await withLock(rt, files.queueLock, async () => {
		const latest = await rt.readFile(files.latest);
		if (latest && decodeUtf8(latest) >= mine.key) return false;
		await rt.writeFileAtomic(files.pending, JSON.stringify(mine), 0o644, false);
		await rt.writeFileAtomic(files.latest, mine.key, 0o644, false);
		await rt.writeFileAtomic(files.announced, `${mine.event.state}\n`, 0o644, false);
		return true;
	});
	if (!accepted) return 'stale';
	await onAccepted?.();
	return (await drainEvents(rt, files, handle)) ? 'handled' : 'queued';
}

/**
 * Runs waiting events while this process can be the runner; false if another process is
 * (it will run them). Whoever releases the runner lock must call this again.
 */
export async function drainEvents(rt: Runtime, files: QueueFiles, handle: Handler): Promise<boolean> {
	let handledAny = false;
	for (;;) {
		const release = await tryLock(rt, files.runnerLock);
		if (!release) return handledAny;
		try {
			for (;;) {
				const next = await withLock(rt, files.queueLock, async () => {
					const q = await readJson<QueuedEvent>(rt, files.pending);
					if (q) await rt.remove(files.pending);
					return q;
				});
				if (!next) break;
				const superseded = async () => {
					const waiting = await readJson<QueuedEvent>(rt, files.pending);
					return waiting !== null && waiting.event.state !== next.event.state;
				};
				await handle(next, superseded);
				handledAny = true;
			}
		} finally {
			await release();
		}
		// An event may have arrived between our last look and the release: it is ours to run.
		if (!(await rt.stat(files.pending))) return handledAny;
	}
}

/** Runs fn while no transition can start (apply uses it); events arriving meanwhile wait. */
export async function whileNoTransition<T>(rt: Runtime, files: QueueFiles, fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
	return withLock(rt, files.runnerLock, fn, timeoutMs);
}
