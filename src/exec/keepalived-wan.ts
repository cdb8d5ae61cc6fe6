// The lease keepalived carries. keepalived.conf includes paths.keepalivedWan; this keeps that file
// at the best known lease and reloads keepalived when it changed, so whichever node becomes MASTER
// next puts the right WAN address and route up itself, with no process start on the way. Called
// when the lease changes here (`lease ifup|ifupdate`), when the peer's lease beacon arrives
// (`lease refresh`, run by the lease watcher) and by apply.
import type { Paths } from '../model/paths.ts';
import type { Model, WanLease } from '../model/types.ts';
import { renderKeepalivedWan } from '../render/keepalived.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { Platform } from '../system/platform.ts';
import { decodeUtf8 } from '../util/utf8.ts';
import { withLock } from './lock.ts';
import { bestKnownLease, loadNftTable } from './system-effects.ts';

/**
 * Writes the WAN part for this lease; true when its text changed. No lease known right now (the
 * beacon not readable for a moment, conntrack busy) is not "no lease": a part that already holds
 * one for this device is kept, or a standby would lose its lease until the master's next renewal.
 */
export async function writeKeepalivedWan(rt: Runtime, model: Model, paths: Paths, lease: WanLease | null): Promise<boolean> {
	const text = renderKeepalivedWan(model, lease);
	const raw = await rt.readFile(paths.keepalivedWan);
	const old = raw && decodeUtf8(raw);
	if (old === text) return false;
	if (lease === null && model.wan && old?.includes(` dev ${model.wan.device}\n`)) return false;
	await rt.makeDir(paths.runDir);
	await rt.writeFileAtomic(paths.keepalivedWan, text, 0o644, false);
	return true;
}

/**
 * Brings keepalived's WAN part and our SNAT address to the best known lease. keepalived is
 * reloaded (SIGHUP: a MASTER keeps the addresses that did not change) only when the text changed
 * and it runs; a stopped keepalived reads the file when it starts.
 */
export async function refreshWanLease(rt: Runtime, model: Model, paths: Paths, platform: Platform): Promise<{ changed: boolean; lease: WanLease | null }> {
	if (!model.wan) return { changed: false, lease: null };
	await rt.makeDir(paths.runDir);
	return withLock(rt, `${paths.runDir}/wan.lock`, async () => {
		const lease = await bestKnownLease(rt, model, paths);
		if (!(await writeKeepalivedWan(rt, model, paths, lease))) return { changed: false, lease };
		// SNAT first: new connections of a MASTER use the new address at once.
		await loadNftTable(rt, model, paths);
		if (await platform.serviceRunning('keepalived')) await platform.service('keepalived', 'reload');
		return { changed: true, lease };
	});
}
