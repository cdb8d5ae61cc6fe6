// The health check of balanced services, run by the resident agent: every check interval it opens a
// TCP connection to each backend's first port; a backend that does not answer within the interval
// leaves its service's map in one nft transaction (render/services.ts serviceMapUpdate), and comes
// back the same way. What is down is kept in /var/run/ha-router/services-down.json, so a reload of
// the whole table (apply, a lease change) renders the same map instead of resurrecting it.
import type { Paths } from '../model/paths.ts';
import type { Model, Service } from '../model/types.ts';
import { type DownBackends, serviceMapUpdate } from '../render/services.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { nftApply } from '../system/nft.ts';
import { decodeUtf8 } from '../util/utf8.ts';
import { withLock } from './lock.ts';

export const downFile = (paths: Paths): string => `${paths.runDir}/services-down.json`;
export const nftLock = (paths: Paths): string => `${paths.runDir}/nft.lock`;

/** The last view of the health check; none (all up) when missing or unreadable. */
export async function readDown(rt: Runtime, paths: Paths): Promise<DownBackends> {
	const raw = await rt.readFile(downFile(paths)).catch(() => null);
	if (raw === null) return {};
	try {
		const v: unknown = JSON.parse(decodeUtf8(raw));
		return v && typeof v === 'object' ? (v as DownBackends) : {};
	} catch {
		return {};
	}
}

/** The backends of `s` that fail a TCP connect within its check interval (never more than 2 s). */
export async function probeService(rt: Runtime, s: Service): Promise<string[]> {
	const timeout = Math.min(2000, s.checkIntervalS * 1000 - 100);
	const ok = await Promise.all(s.backends.map((b) => rt.probeTcp(b.address, s.ports[0]!, timeout)));
	return s.backends.filter((_, i) => !ok[i]).map((b) => b.address);
}

const same = (a: readonly string[] = [], b: readonly string[] = []) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * Writes the new view and updates the maps of the services whose down set changed, each in one
 * transaction, under the lock loadNftTable takes. Returns what changed, for the log.
 */
export async function updateDown(rt: Runtime, model: Model, paths: Paths, next: DownBackends): Promise<string[]> {
	return withLock(rt, nftLock(paths), async () => {
		const before = await readDown(rt, paths);
		const changed = model.services.filter((s) => !same(before[s.name], next[s.name]));
		if (changed.length === 0) return [];
		await rt.writeFileAtomic(downFile(paths), `${JSON.stringify(next)}\n`, 0o644, false);
		for (const s of changed) await nftApply(rt, serviceMapUpdate(s, next[s.name] ?? []));
		return changed.map((s) => `service ${s.name}: ${next[s.name]?.length ? `down ${next[s.name]!.join(', ')}` : 'every backend up'}`);
	});
}
