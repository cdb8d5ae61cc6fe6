// The WAN lease this pair last held, kept in /var/run/ha-router/lease.json so a takeover can
// ask for that address at once (DHCPREQUEST) instead of discovering.
import type { Paths } from '../model/paths.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { KnownLease } from '../system/platform.ts';
import { readJson } from './read-json.ts';

export async function readKnownLease(rt: Runtime, paths: Paths): Promise<KnownLease | null> {
	const l = await readJson<KnownLease>(rt, paths.leaseFile);
	return typeof l?.address?.address === 'string' && typeof l.address.prefix === 'number' ? l : null;
}

export async function writeKnownLease(rt: Runtime, paths: Paths, lease: KnownLease): Promise<void> {
	await rt.makeDir(paths.runDir);
	await rt.writeFileAtomic(paths.leaseFile, `${JSON.stringify(lease)}\n`, 0o644, false);
}
