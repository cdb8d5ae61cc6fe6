// What this node tells its peer (and `status`, and a switchover's preflight) about itself. The
// cheap parts are file reads; the full state also asks procd/the service manager and conntrackd.
import type { Paths } from '../model/paths.ts';
import type { Model, VrrpState } from '../model/types.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { conntrackd } from '../system/conntrackd.ts';
import { addresses, ipJson, type IpRoute } from '../system/iproute.ts';
import type { Platform } from '../system/platform.ts';
import { decodeUtf8 } from '../util/utf8.ts';
import { withTimeout } from '../util/with-timeout.ts';
import { demotionReason, readDemotion, trackValue, type Demotion } from '../exec/demotion.ts';
import { readAnnounced } from '../exec/event-queue.ts';
import { readNodeState } from '../exec/run-transition.ts';
import type { PeerState } from './protocol.ts';

/** This node's demotion and role as its files say, and whether the plan for that role has ended. */
export interface NodeFacts {
	readonly demotion: Demotion;
	readonly role: VrrpState | null;
	readonly settled: boolean;
	/** When the recorded role began (wall-clock ms), or null before the first transition. */
	readonly since: number | null;
}

/**
 * The role is the state keepalived announced last (the hook writes it the moment it starts, before
 * the plan runs), else the last one recorded. `vipHeld` is what the kernel showed the agent before
 * any hook ran: a VIP added is MASTER, one removed while MASTER is still announced is BACKUP.
 */
export async function nodeFacts(rt: Runtime, paths: Paths, vipHeld: boolean | null = null): Promise<NodeFacts> {
	const demotion = await readDemotion(rt, paths);
	const state = await readNodeState(rt, paths.stateFile);
	const stateRole = state?.role ?? null;
	const announced = (await readAnnounced(rt, paths.runDir)) ?? stateRole;
	const role = vipHeld === true ? 'MASTER' : vipHeld === false && announced === 'MASTER' ? 'BACKUP' : announced;
	return { demotion, role, settled: role === announced && stateRole === role, since: state?.since ?? null };
}

async function readNumber(rt: Runtime, path: string): Promise<number | null> {
	const raw = await rt.readFile(path).catch(() => null);
	const n = raw ? Number(decodeUtf8(raw).trim()) : NaN;
	return Number.isFinite(n) ? n : null;
}

/** Connections in this network namespace's conntrack table. */
export function kernelConntrackCount(rt: Runtime): Promise<number | null> {
	return readNumber(rt, '/proc/sys/net/netfilter/nf_conntrack_count');
}

/** Is keepalived's default route through the shared WAN in the main table (it is while MASTER)? */
export async function wanHeld(rt: Runtime, model: Model): Promise<boolean | null> {
	if (!model.wan) return null;
	const raw = await rt.readFile('/proc/net/route').catch(() => null);
	if (!raw) return null;
	// Iface Destination Gateway Flags RefCnt Use Metric Mask ...: a default route has both 00000000.
	return decodeUtf8(raw)
		.split('\n')
		.some((l) => {
			const f = l.split('\t');
			return f[0] === model.wan!.device && f[1] === '00000000' && f[7] === '00000000';
		});
}

/** The lease keepalived's WAN part holds, as "a.b.c.d/p via g" (what this node would put up). */
export async function wanPartLease(rt: Runtime, paths: Paths): Promise<string | null> {
	const raw = await rt.readFile(paths.keepalivedWan);
	if (!raw) return null;
	const text = decodeUtf8(raw);
	const addr = /^\s*([0-9.]+\/\d+) dev /m.exec(text)?.[1];
	if (!addr) return null;
	const via = / via ([0-9.]+) dev /.exec(text)?.[1];
	return via ? `${addr} via ${via}` : addr;
}

/** The lowest-metric IPv4 default route that is not the shared WAN's: this node's own uplink, if any. */
export async function ownUplink(rt: Runtime, model: Model): Promise<{ device: string; gateway: string | null } | null> {
	const routes = await ipJson<IpRoute & { metric?: number }>(rt, ['-4', 'route', 'show', 'default']).catch(() => []);
	const own = routes.filter((r) => r.dev && r.dev !== model.wan?.device && (r.type === undefined || r.type === 'unicast')).sort((a, b) => (a.metric ?? 0) - (b.metric ?? 0))[0];
	return own?.dev ? { device: own.dev, gateway: own.gateway ?? null } : null;
}

/** The priority keepalived advertises now: configured plus the track file (0 when in FAULT). */
export function effectivePriority(priority: number, track: number): number {
	const p = priority + track;
	return p <= 0 ? 0 : Math.min(255, p);
}

async function running(platform: Platform, name: string): Promise<boolean | null> {
	try {
		return (await withTimeout(platform.serviceInstances(name), 3000, 'no answer')).some((i) => i.running);
	} catch {
		return null;
	}
}

/** The state a query answers with; a platform adds the daemons and conntrackd's caches (processes). */
export async function localState(rt: Runtime, model: Model, paths: Paths, platform: Platform | null, facts?: NodeFacts): Promise<PeerState> {
	const { demotion: d, role, settled, since } = facts ?? (await nodeFacts(rt, paths));
	const caches = model.sync && platform ? await withTimeout(conntrackd(rt, paths.conntrackdConf).cacheCounts(), 3000, 'no answer').catch(() => null) : null;
	return {
		node: model.node.name,
		role,
		settled,
		since,
		priority: effectivePriority(model.node.priority, trackValue(d, model.node.priority)),
		nopreempt: model.node.nopreempt,
		preemptDelay: model.node.preemptDelay,
		demoted: demotionReason(d),
		keepalived: platform ? await running(platform, 'keepalived') : null,
		conntrackd: platform && model.sync ? await running(platform, 'conntrackd') : null,
		conntrack: { kernel: await kernelConntrackCount(rt), internal: caches?.internal ?? null, external: caches?.external ?? null },
		lease: await wanPartLease(rt, paths),
		wanHeld: await wanHeld(rt, model),
		splitBrains: d.splitBrains,
		...(platform && {
			uplink: await ownUplink(rt, model),
			addresses: (await addresses(rt, null).catch(() => [])).filter((a) => a.family === 4).map((a) => `${a.local}/${a.prefixlen}`),
		}),
	};
}
