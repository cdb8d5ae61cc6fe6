// Failover scenarios: each builds a fresh testbed, boots a pair with a Stack, runs the traffic meter across one
// fault and reports what happened. Nothing here asserts: the tests and the benchmark decide what to check.
import { readFileSync } from 'node:fs';
import { crash, cutVrrp, healVrrp, lanLinkDown, powerOn, stopKeepalived } from './faults.ts';
import { ipn, nsRun, run, sleep, waitFor } from './exec.ts';
import type { Stack } from './stack.ts';
import { SERVER, VIP, createTestbed, hasVip, nsProcesses, wanAddr, type RouterNode, type Testbed } from './testbed.ts';
import { TCP_PORT, startMeter, type TrafficResult } from './traffic.ts';
import { defaultRole } from './uci-files.ts';
import { VipWatch } from './vip-watch.ts';

export const SCENARIOS = [
	'master-crash',
	'master-lan-fault',
	'keepalived-stop',
	'planned-switchover',
	'return-preempt',
	'return-nopreempt',
	'boot-together',
	'vrrp-cut',
	'vrrp-flap',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const SCENARIO_TEXT: Record<Scenario, string> = {
	'master-crash': 'master crashes (all its processes killed, then its links cut)',
	'master-lan-fault': "master's LAN link fails, its daemons keep running",
	'keepalived-stop': 'keepalived stopped cleanly on the master',
	'planned-switchover': "planned switchover (the master's priority lowered)",
	'return-preempt': 'crashed master comes back, preempt',
	'return-nopreempt': 'crashed master comes back, nopreempt',
	'boot-together': 'both routers boot at once',
	'vrrp-cut': 'VRRP cut between the routers for a while, then healed',
	'vrrp-flap': 'VRRP link flapping: cut and healed every 2 s',
};

export interface ScenarioOptions {
	streams?: number;
	intervalMs?: number;
	/** Time after the new master has its WAN address before the traffic stops (TCP retransmit backoff). */
	settleMs?: number;
	warmupMs?: number;
	/** vrrp-cut: how long VRRP stays cut. */
	cutMs?: number;
	/** vrrp-flap: how long the link flaps (cut 2 s, healed 2 s, ...). */
	flapMs?: number;
	log?: (line: string) => void;
	/** Keep the testbed for inspection (debugging only). */
	keep?: boolean;
}

export interface ScenarioResult {
	scenario: Scenario;
	stack: string;
	/** Traffic across the fault (absent for boot-together when the pair never got a master). */
	traffic?: TrafficResult;
	masterBefore?: string;
	masterAfter?: string;
	/** From the fault to the VIP on the node that ends up master (undefined if the master did not change). */
	timeToMasterMs?: number;
	/** From the fault to the WAN address on the new master. */
	timeToWanMs?: number;
	wanBefore?: string;
	wanAfter?: string;
	/** Nodes holding the WAN address at the end (more than one: the shared MAC is live twice on the ISP segment). */
	wanHolders: string[];
	/** Time two routers held the VIP at once, over the scenario. */
	doubleMasterMs: number;
	/** Nodes running the LAN DHCP server (a role service) at the end, and the most seen at once. */
	roleHolders: string[];
	roleHoldersMax: number;
	/** TCP streams of the meter in the new master's conntrack table when its WAN address appeared: the sessions the
	 * takeover kept (synced and committed), before any retransmission could be picked up afresh. */
	flowsAtTakeover?: number;
	/** Nodes with a kernel `local` route for the VIP at the end (they answer ARP for it): should be the master only. */
	vipLocalRoutes: string[];
	durationMs: number;
	/** VIP changes relative to the fault (or to the boot), for the record. */
	vipEvents: { node: string; ms: number; has: boolean }[];
	notes: string[];
}

/** Routers holding the VIP on a LAN link that is up (a crashed router keeps its addresses on dead links). */
function vipHolders(bed: Testbed): RouterNode[] {
	return bed.routers.filter((r) => hasVip(r) && linkUp(r, r.ports.lan));
}

export function master(bed: Testbed): RouterNode | undefined {
	const m = vipHolders(bed);
	return m.length === 1 ? m[0] : undefined;
}

/** The routers serving DHCP on the LAN: a dnsmasq with a dhcp-range (at boot OpenWrt's serves DNS only). */
export function dnsmasqNodes(bed: Testbed): string[] {
	return bed.routers.filter((r) => nsProcesses(r.ns).some((p) => p.comm === 'dnsmasq' && servesDhcp(p.pid))).map((r) => r.name);
}

function servesDhcp(pid: number): boolean {
	try {
		return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--dhcp-range');
	} catch {
		return false; // gone meanwhile
	}
}

/** Samples the role-service holders every 100 ms until stopped; returns the most seen at once. */
function sampleRoles(bed: Testbed): { stop(): number } {
	let max = 0;
	let on = true;
	const end = Date.now() + 300_000; // bounded even if nobody calls stop()
	const tick = async (): Promise<void> => {
		while (on && Date.now() < end) {
			max = Math.max(max, dnsmasqNodes(bed).length);
			await sleep(100);
		}
	};
	void tick();
	return {
		stop() {
			on = false;
			return max;
		},
	};
}

export async function bootPair(stack: Stack, bed: Testbed, log: (s: string) => void): Promise<RouterNode> {
	await Promise.all(bed.routers.map((r) => stack.boot(bed, r)));
	const limit = 10_000 + 6_000 * stack.advertIntS;
	// A settled pair: one master that also has its WAN lease (both booting at once, the backup can hold the VIP
	// for a moment before the preferred master takes over; that one is not the pair's master).
	const m = await waitFor('a single master with a WAN lease', () => {
		const x = master(bed);
		return x && wanAddr(x) && (stack.ready?.(x) ?? true) ? x : undefined;
	}, limit + 20_000, 20);
	log(`master ${m.name}, WAN ${wanAddr(m)}`);
	return m;
}

/** Who holds the VIP and the WAN, the client's ARP entry for the VIP, each router's SNAT rule and local VIP route. */
function pathReport(bed: Testbed): string {
	const lines = [`client neighbours: ${nsRun(bed.clients[0]!.ns, 'ip', ['neigh'], { check: false }).stdout.trim().replace(/\n/g, '; ')}`];
	for (const r of bed.routers) {
		const lan = nsRun(r.ns, 'ip', ['-br', 'link', 'show', r.ports.lan], { check: false }).stdout.trim();
		const snat = /snat ip to \S+/.exec(nsRun(r.ns, 'nft', ['list', 'table', 'inet', 'ha_router'], { check: false }).stdout)?.[0] ?? 'no snat rule';
		const local = nsRun(r.ns, 'ip', ['route', 'show', 'table', 'local', VIP], { check: false }).stdout.trim() || 'no VIP local route';
		const def = nsRun(r.ns, 'ip', ['route', 'show', 'default'], { check: false }).stdout.trim() || 'no default route';
		lines.push(`${r.name}: vip ${hasVip(r)} wan ${wanAddr(r) ?? '-'}; ${lan}; ${snat}; ${local}; ${def}`);
	}
	return lines.join('\n');
}

export async function runScenario(stack: Stack, scenario: Scenario, opts: ScenarioOptions = {}): Promise<ScenarioResult> {
	const log = opts.log ?? (() => {});
	const t0 = Date.now();
	const streams = opts.streams ?? 50;
	const settleMs = opts.settleMs ?? 6_000;
	const warmupMs = opts.warmupMs ?? 2_000;
	const bed = await createTestbed();
	const notes: string[] = [];
	let watch: VipWatch | undefined;
	let tRef = Date.now();
	let meter: Awaited<ReturnType<typeof startMeter>> | undefined;
	let roles: { stop(): number } | undefined;
	log(`${stack.name} ${scenario}: testbed ${bed.prefix}`);
	try {
		const [a, b] = bed.routers as [RouterNode, RouterNode];
		for (const r of bed.routers) {
			const role = defaultRole(r);
			if (scenario === 'return-nopreempt') role.nopreempt = true;
			await stack.configure(bed, r, role);
		}
		watch = new VipWatch(bed);
		const result: ScenarioResult = { scenario, stack: stack.name, wanHolders: [], doubleMasterMs: 0, roleHolders: [], roleHoldersMax: 0, vipLocalRoutes: [], durationMs: 0, vipEvents: [], notes };

		if (scenario === 'boot-together') {
			roles = sampleRoles(bed);
			const bootAt = Date.now();
			tRef = bootAt;
			let m: RouterNode | undefined;
			try {
				m = await bootPair(stack, bed, log);
				result.timeToMasterMs = (watch.becameMaster(m, bootAt) ?? Date.now()) - bootAt;
				result.timeToWanMs = Date.now() - bootAt;
				await sleep(2_000 + 3_000 * stack.advertIntS);
				meter = await startMeter(bed, { streams, intervalMs: opts.intervalMs });
				await sleep(warmupMs);
				await meter.mark('fault');
				await sleep(2_000);
				result.traffic = await meter.stop();
				meter = undefined;
			} catch (e) {
				notes.push(`no working pair after boot: ${(e as Error).message}`);
			}
			result.roleHoldersMax = roles.stop();
			result.masterAfter = m?.name;
			result.wanAfter = m ? wanAddr(m) : undefined;
			result.doubleMasterMs = watch.doubleMaster(bootAt, Date.now()).ms;
			return finish(result);
		}

		let m = await bootPair(stack, bed, log);
		if (m !== a) notes.push(`${m.name} became master first`);
		let other = m === a ? b : a;

		if (scenario === 'return-preempt' || scenario === 'return-nopreempt') {
			// First the crash (not measured here), then the measured part: the old master returns.
			await crash(m, watch.pids());
			await stack.powerOff?.(bed, m);
			watch.markDown(m);
			await waitFor(`${other.name} master`, () => hasVip(other), 20_000, 20);
			await waitFor(`${other.name} WAN`, () => wanAddr(other), 20_000, 20);
			await sleep(2_000);
			powerOn(m);
			[m, other] = [other, m];
			log(`after crash: master ${m.name}; ${other.name} powered on, not booted`);
		}

		meter = await startMeter(bed, { streams, intervalMs: opts.intervalMs }).catch((e: Error) => {
			// Say what the network looked like, so a failure here can be explained after the fact.
			throw new Error(`${e.message}\n${pathReport(bed)}`);
		});
		await sleep(warmupMs);
		roles = sampleRoles(bed);
		result.masterBefore = m.name;
		result.wanBefore = wanAddr(m);
		const tFault = await meter.mark('fault');
		tRef = tFault;
		let expect: RouterNode | undefined = other;
		let stopping: Promise<void> | undefined;
		switch (scenario) {
			case 'master-crash':
				await crash(m, watch.pids());
				await stack.powerOff?.(bed, m);
				watch.markDown(m);
				break;
			case 'master-lan-fault':
				lanLinkDown(m);
				watch.markDown(m);
				break;
			case 'keepalived-stop':
				// keepalived's stop returns only after it waited for (or killed) its notify script, ~1 s: the takeover
				// is timed while it runs, not after.
				stopping = stopKeepalived(m);
				stopping.catch(() => undefined);
				break;
			case 'planned-switchover':
				await stack.switchAway(bed, m);
				break;
			case 'return-preempt':
				await stack.boot(bed, other);
				break;
			case 'return-nopreempt':
				await stack.boot(bed, other);
				expect = undefined;
				break;
			case 'vrrp-cut': {
				cutVrrp(other);
				await sleep(opts.cutMs ?? Math.max(5_000, 5_000 * stack.advertIntS));
				healVrrp(other);
				await meter.mark('heal');
				expect = undefined;
				break;
			}
			case 'vrrp-flap': {
				const end = Date.now() + (opts.flapMs ?? 20_000);
				while (Date.now() < end) {
					cutVrrp(other);
					await sleep(2_000);
					healVrrp(other);
					await sleep(2_000);
				}
				await meter.mark('heal');
				expect = undefined;
				break;
			}
		}
		if (expect) {
			const e = expect;
			await waitFor(`${e.name} master`, () => hasVip(e) && (scenario === 'master-crash' || scenario === 'master-lan-fault' || !hasVip(m)), 20_000, 20).catch(() => {
				notes.push(`${e.name} did not become the only master within 20 s`);
			});
			const t = watch.becameMaster(e, tFault);
			if (t !== undefined) result.timeToMasterMs = Math.round(t - tFault);
			await waitFor(`${e.name} WAN`, () => wanAddr(e), 20_000, 10).then(
				() => {
					result.timeToWanMs = Math.round(Date.now() - tFault);
					// Before the WAN is up no packet of the streams can be forwarded (so none is picked up afresh):
					// what is in the table now is what the takeover brought from the peer.
					result.flowsAtTakeover = meterFlows(e);
				},
				() => notes.push(`${e.name} got no WAN address within 20 s`),
			);
		} else {
			// No change of master expected (nopreempt) or a split to heal (vrrp-cut, vrrp-flap): give VRRP time to settle.
			await sleep(1_000 + 4_000 * stack.advertIntS);
		}
		await stopping;
		await sleep(settleMs);
		result.traffic = await meter.stop();
		meter = undefined;
		result.roleHoldersMax = roles.stop();
		const after = master(bed);
		result.masterAfter = after?.name ?? (vipHolders(bed).map((r) => r.name).join('+') || 'none');
		if (after && after !== m && result.timeToMasterMs === undefined) {
			const t = watch.becameMaster(after, tFault);
			if (t !== undefined) result.timeToMasterMs = Math.round(t - tFault);
		}
		result.wanAfter = after ? wanAddr(after) : undefined;
		result.doubleMasterMs = watch.doubleMaster(tFault, Date.now()).ms;
		return finish(result);
	} finally {
		roles?.stop();
		meter?.kill();
		watch?.stop();
		if (!opts.keep) await bed.destroy();
		else log(`kept ${bed.prefix} in ${bed.tmp}`);
	}

	function finish(r: ScenarioResult): ScenarioResult {
		r.wanHolders = bed.routers.filter((x) => wanAddr(x) !== undefined && !isDown(x)).map((x) => x.name);
		r.roleHolders = dnsmasqNodes(bed);
		r.vipLocalRoutes = bed.routers.filter((x) => linkUp(x, x.ports.lan) && hasVipLocalRoute(x)).map((x) => x.name);
		r.durationMs = Date.now() - t0;
		r.vipEvents = (watch?.events ?? []).map((e) => ({ node: e.node, ms: Math.round(e.t - tRef), has: e.has }));
		log(`${stack.name} ${scenario}: done in ${r.durationMs} ms`);
		return r;
	}
}

/** The meter's TCP streams in a node's kernel conntrack table (server address, echo port). */
export function meterFlows(node: RouterNode): number {
	const r = run('ip', ['netns', 'exec', node.ns, 'conntrack', '-L', '-p', 'tcp', '--orig-dst', SERVER, '--dport', String(TCP_PORT)], { check: false });
	return r.stdout.split('\n').filter((l) => l.includes(`dport=${TCP_PORT}`)).length;
}

function hasVipLocalRoute(node: RouterNode): boolean {
	return ipn(node.ns, ['-4', 'route', 'show', 'table', 'local', 'type', 'local', VIP], false).stdout.trim() !== '';
}

function linkUp(node: RouterNode, dev: string): boolean {
	return /[<,]UP[,>]/.test(ipn(node.ns, ['-o', 'link', 'show', 'dev', dev], false).stdout);
}

/** A crashed node's links are down: whatever address it still holds reaches no one. */
function isDown(node: RouterNode): boolean {
	return !linkUp(node, node.ports.wan);
}
