// This node's priority, lowered at run time without touching keepalived.conf: keepalived adds the
// number in the track file (paths.trackFile, `track_file ha_router_priority`, weight 1) to every
// instance's priority and re-reads it when it changes. Why it is lowered lives next to it, in
// demotion.json under the same tmpfs directory: like the track file, a demotion ends with a reboot.
import type { Paths } from '../model/paths.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { DemotionReason } from '../peer/protocol.ts';
import { decodeUtf8 } from '../util/utf8.ts';
import { withLock } from './lock.ts';
import { readJson } from './read-json.ts';

/** keepalived puts an instance whose track file adds -254 or less into FAULT (priority 0 advert). */
export const FAULT_VALUE = -254;

export interface Demotion {
	/** A planned switchover: 'lower' = BACKUP at priority 1, 'resign' = FAULT until the peer took over. */
	readonly switchover: { readonly since: number; readonly method: 'lower' | 'resign' } | null;
	/** The non-preferred side of a split brain: FAULT, so a silent VRRP link cannot make it MASTER. */
	readonly splitBrain: { readonly since: number } | null;
	/** Split brains seen by this node (either side), and when the last one began. */
	readonly splitBrains: number;
	readonly lastSplitBrain: number | null;
}

export const NO_DEMOTION: Demotion = { switchover: null, splitBrain: null, splitBrains: 0, lastSplitBrain: null };

const file = (paths: Paths) => `${paths.runDir}/demotion.json`;

export async function readDemotion(rt: Runtime, paths: Paths): Promise<Demotion> {
	return { ...NO_DEMOTION, ...(await readJson<Partial<Demotion>>(rt, file(paths))) };
}

/** The reason that is in force (a split brain outranks a switchover). */
export function demotionReason(d: Demotion): DemotionReason | null {
	return d.splitBrain ? 'split-brain' : d.switchover ? 'switchover' : null;
}

/** The number for the track file (pure): 0, priority 1, or FAULT. */
export function trackValue(d: Demotion, priority: number): number {
	if (d.splitBrain || d.switchover?.method === 'resign') return FAULT_VALUE;
	if (d.switchover) return 1 - priority;
	return 0;
}

/** The number keepalived reads now (0 when the file is missing or not a number). */
export async function readTrackValue(rt: Runtime, paths: Paths): Promise<number> {
	const raw = await rt.readFile(paths.trackFile);
	const n = raw ? Number.parseInt(decodeUtf8(raw).trim(), 10) : 0;
	return Number.isFinite(n) ? n : 0;
}

/**
 * Changes the demotion under its lock and writes the track file when its number changes.
 * Returns the new demotion. The agent and the switchover command both come through here.
 */
export async function updateDemotion(rt: Runtime, paths: Paths, priority: number, change: (d: Demotion) => Demotion): Promise<Demotion> {
	await rt.makeDir(paths.runDir);
	return withLock(rt, `${paths.runDir}/demotion.lock`, async () => {
		const before = await readDemotion(rt, paths);
		const after = change(before);
		if (JSON.stringify(after) !== JSON.stringify(before)) await rt.writeFileAtomic(file(paths), `${JSON.stringify(after)}\n`, 0o644, false);
		await syncTrackFile(rt, paths, after, priority);
		return after;
	});
}

/** Makes the track file say what the demotion means (also repairs a file someone else changed). */
export async function syncTrackFile(rt: Runtime, paths: Paths, d: Demotion, priority: number): Promise<boolean> {
	const want = trackValue(d, priority);
	if ((await readTrackValue(rt, paths)) === want && (await rt.stat(paths.trackFile))) return false;
	await rt.writeFileAtomic(paths.trackFile, `${want}\n`, 0o644, false);
	return true;
}
