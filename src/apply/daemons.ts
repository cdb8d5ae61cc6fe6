// keepalived and conntrackd are the pair: apply starts them when they are not running and then
// asks the service manager (procd's `service list` on OpenWrt) whether they really run. An init
// script can "succeed" and start nothing: OpenWrt's keepalived does exactly that while
// /etc/config/keepalived says `enabled '0'` (docs/openwrt-contracts.md).
import type { Paths } from '../model/paths.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { Platform, ServiceInstance } from '../system/platform.ts';
import { rememberOriginals } from './originals-store.ts';

/** How long a daemon may take to show up as a running instance after its init script returned. */
const SETTLE_MS = 3000;
const POLL_MS = 100;

export interface DaemonState {
	readonly name: string;
	readonly pid: number | null;
	/** What apply did to it: nothing, started, reloaded or restarted. */
	readonly action: 'none' | 'start' | 'reload' | 'restart';
}

async function runningInstance(platform: Platform, name: string): Promise<ServiceInstance | null> {
	return (await platform.serviceInstances(name)).find((i) => i.running) ?? null;
}

/**
 * Starts `name` if it is not running, else applies `action` ('none': leave it), then waits for a
 * running instance. Throws a sentence saying what the service manager reports.
 */
export async function ensureDaemon(rt: Runtime, platform: Platform, name: string, action: DaemonState['action']): Promise<DaemonState> {
	const before = await runningInstance(platform, name);
	const did = before ? action : 'start';
	if (did !== 'none') await platform.service(name, did);
	const end = rt.now() + SETTLE_MS;
	for (;;) {
		const inst = await runningInstance(platform, name);
		if (inst) return { name, pid: inst.pid, action: did };
		if (rt.now() > end) break;
		await rt.sleep(POLL_MS);
	}
	const hint = name === 'keepalived' ? ' (is it enabled in /etc/config/keepalived, and does keepalived -t accept the configuration?)' : '';
	throw new Error(`${name} is not running after '${did}': the service manager reports no running instance${hint}; see logread -e ${name}`);
}

/**
 * keepalived and conntrackd start at boot (rc.d) exactly while this node is in the pair; what
 * they were before is recorded for teardown.
 */
export async function bootEnable(rt: Runtime, paths: Paths, platform: Platform, names: readonly string[], on: boolean): Promise<void> {
	const change: string[] = [];
	for (const n of names) if ((await platform.serviceInstalled(n)) && (await platform.serviceEnabled(n)) !== on) change.push(n);
	if (!change.length) return;
	await rememberOriginals(rt, paths, (o) => {
		const bootEnabled = { ...o.bootEnabled };
		for (const n of change) if (!(n in bootEnabled)) bootEnabled[n] = !on;
		return { ...o, bootEnabled };
	});
	for (const n of change) await platform.setServiceEnabled(n, on);
}
