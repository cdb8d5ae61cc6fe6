// Issue 12, "Exclusivity" and "Bad input and faults": the WAN is one identity (shared MAC + lease on one node only,
// outside a VRRP split), only the master answers ARP for the VIP and for the lease, a lease that changes while MASTER
// leaves nothing stale, and a keepalived reload while MASTER keeps the WAN and every flow.
// Each test builds its own testbed and destroys it (namespaces, processes by pid) also when it fails.
// HA_EXCLUSIVITY_STOPS=20 runs the repeated keepalived stop 20 times (default 5).
import { afterEach, describe, expect, it } from 'vitest';
import { crash, powerOn, stopKeepalived } from './lib/faults.ts';
import { haRouterStack, haRouterUnavailable } from './lib/ha-router-node.ts';
import { writeInitScripts } from './lib/init-scripts.ts';
import { arpAnswers, lastTransition, macOf, recordedRole, SharedMacCapture, wanDevice, WanSampler, WanWatch, type ArpAnswers, type SharedMacFrame } from './lib/exclusivity.ts';
import { ipn, killPid, nsRun, report, sleep, waitFor } from './lib/exec.ts';
import { openwrtStack, openwrtUnavailable } from './lib/openwrt-node.ts';
import { bootPair, dnsmasqNodes } from './lib/scenarios.ts';
import { initd, initdOk, type Stack } from './lib/stack.ts';
import { ISP_GW, VIP, WAN_MAC, createTestbed, hasVip, restartIspDhcp, wanAddr, type RouterNode, type Testbed } from './lib/testbed.ts';
import { startMeter, summary } from './lib/traffic.ts';
import { defaultRole } from './lib/uci-files.ts';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const notRoot = process.getuid?.() !== 0;
const skipLinux = notRoot || haRouterUnavailable() !== undefined;
const skipOpenwrt = notRoot || openwrtUnavailable() !== undefined;
const STOPS = Number(process.env.HA_EXCLUSIVITY_STOPS ?? 5);

let bed: Testbed | undefined;
afterEach(async () => {
	await bed?.destroy();
	bed = undefined;
});

/** A fresh testbed with a booted pair (r0 preferred master); `slowStopS` makes the nodes' dnsmasq stop slow. */
async function bootedPair(stack: Stack, slowStopS?: number): Promise<{ bed: Testbed; r0: RouterNode; r1: RouterNode }> {
	const b = await createTestbed();
	bed = b;
	if (slowStopS !== undefined) for (const r of b.routers) writeInitScripts(r, { slowStopS: { dnsmasq: slowStopS } });
	for (const r of b.routers) await stack.configure(b, r, defaultRole(r));
	const m = await bootPair(stack, b, report);
	const [r0, r1] = b.routers as [RouterNode, RouterNode];
	expect(m.name).toBe('r0');
	return { bed: b, r0, r1 };
}

/** `node` is the one master: the VIP, its WAN lease, our SNAT to it (the stack's ready check). */
async function settledMaster(stack: Stack, b: Testbed, node: RouterNode, timeoutMs = 20_000): Promise<void> {
	await waitFor(`${node.name} the only master, with WAN and SNAT`, () => {
		// A crashed node keeps its addresses on links that are down: it serves no one.
		const others = b.routers.filter((r) => r !== node && hasVip(r) && /[<,]UP[,>]/.test(ipn(r.ns, ['-o', 'link', 'show', 'dev', r.ports.lan], false).stdout));
		return hasVip(node) && others.length === 0 && wanAddr(node) !== undefined && (stack.ready?.(node) ?? true);
	}, timeoutMs, 20);
}

/** keepalived stopped on the master STOPS times while the WAN holders are sampled every 20 ms; after each stop,
 * keepalived starts again on the stopped node (with preempt it takes the master role back: a second handover). */
interface StopLoop {
	sampler: WanSampler;
	watch: WanWatch;
	double: ReturnType<WanWatch['double']>;
	/** Frames from the shared MAC the capture saw, and those sent by a node that held no lease address. */
	frames: number;
	strays: SharedMacFrame[];
}

async function stopLoop(stack: Stack, opts: { preempt: boolean }): Promise<StopLoop> {
	const b = await createTestbed();
	bed = b;
	for (const r of b.routers) writeInitScripts(r, { slowStopS: { dnsmasq: 3 } });
	for (const r of b.routers) await stack.configure(b, r, { ...defaultRole(r), nopreempt: !opts.preempt });
	let m = await bootPair(stack, b, report);
	const sampler = new WanSampler(b, 20);
	const watch = new WanWatch(b);
	const capture = new SharedMacCapture(b);
	const rounds: Record<string, unknown>[] = [];
	try {
		for (let i = 0; i < STOPS; i++) {
			const other = b.routers.find((r) => r !== m)!;
			// keepalived stops on the master: the other takes over; the master's STOP plan runs (WAN first, then the
			// 3 s dnsmasq stop; keepalived kills the hook's process group ~1 s in).
			sampler.phase = `stop#${i}`;
			await stopKeepalived(m);
			await settledMaster(stack, b, other);
			await sleep(4_500); // past the slow dnsmasq stop, killed or not
			const stop = { stopped: m.name, role: recordedRole(m)?.role, wan: wanDevice(m).state, roleHolders: dnsmasqNodes(b), hooks: [lastTransition(m), lastTransition(other)] };
			// keepalived back on the stopped node.
			sampler.phase = `${opts.preempt ? 'preempt' : 'restart'}#${i}`;
			await initdOk(m, 'keepalived', 'start');
			if (opts.preempt) {
				await settledMaster(stack, b, m);
				await waitFor(`${other.name} BACKUP recorded`, () => recordedRole(other)?.role === 'BACKUP', 15_000, 50).catch(() => undefined);
				await sleep(4_500); // past the other's slow dnsmasq stop
			} else {
				await waitFor(`${m.name} BACKUP recorded`, () => recordedRole(m)?.role === 'BACKUP', 15_000, 50).catch(() => undefined);
				await sleep(1_000);
				m = other;
			}
			const h = [lastTransition(b.routers[0]!), lastTransition(b.routers[1]!)];
			rounds.push({ i, stop, back: { master: m.name, roleHolders: dnsmasqNodes(b), hooks: h } });
		}
	} finally {
		await capture.stop();
		await sampler.stop();
		watch.stop();
	}
	const double = watch.double();
	const strays = capture.strays(watch);
	report(JSON.stringify({ stack: stack.name, preempt: opts.preempt, stops: STOPS, watched: { events: watch.count(), doubleWanMs: double.ms, periods: double.periods }, samples: sampler.samples, doubleWanMs: sampler.doubleMs, byPhase: Object.fromEntries(sampler.doubleMsByPhase), overlaps: sampler.overlaps.slice(0, 30), sharedMacFrames: capture.frames.length, strays: strays.slice(0, 20), rounds }));
	return { sampler, watch, double, frames: capture.frames.length, strays };
}

/** Boots a pair and runs keepalived-stop, keepalived start (preempt), master-crash and return-preempt, probing
 * after each (and after the boot) who answers ARP for the VIP from the LAN client and for the lease from the ISP. */
async function arpScenarios(stack: Stack): Promise<{
	results: Record<string, { vip: ArpAnswers; wan: ArpAnswers; master: 'r0' | 'r1' }>;
	lanMac: Record<'r0' | 'r1', string>;
	wanPortMac: Record<'r0' | 'r1', string>;
}> {
	const { bed: b, r0, r1 } = await bootedPair(stack);
	const client = b.clients[0]!;
	const lanMac = { r0: macOf(r0.ns, r0.ports.lan), r1: macOf(r1.ns, r1.ports.lan) };
	const wanPortMac = { r0: macOf(r0.ns, r0.ports.wan), r1: macOf(r1.ns, r1.ports.wan) };
	const results: Record<string, { vip: ArpAnswers; wan: ArpAnswers; master: 'r0' | 'r1' }> = {};
	const probe = (name: string, m: RouterNode): void => {
		const lease = wanAddr(m)!.split('/')[0]!;
		results[name] = { master: m.name as 'r0' | 'r1', vip: arpAnswers(client.ns, 'eth0', VIP), wan: arpAnswers(b.ns.isp, 'br0', lease) };
	};
	/** The old master's transition ran to its end (state.json records its new role). */
	const recorded = (node: RouterNode, roles: string[]) =>
		waitFor(`${node.name} records ${roles.join('/')}`, () => roles.includes(recordedRole(node)?.role ?? ''), 15_000, 50).catch(() => undefined);

	probe('booted', r0);
	// keepalived stopped on the master.
	await stopKeepalived(r0);
	await settledMaster(stack, b, r1);
	await recorded(r0, ['STOP']);
	await sleep(1_000);
	probe('keepalived-stop', r1);
	// keepalived back: r0 preempts.
	await initdOk(r0, 'keepalived', 'start');
	await settledMaster(stack, b, r0);
	await recorded(r1, ['BACKUP']);
	await sleep(1_000);
	probe('keepalived-start (preempt)', r0);
	// The master crashes.
	await crash(r0);
	await stack.powerOff?.(b, r0);
	await settledMaster(stack, b, r1);
	await sleep(1_000);
	probe('master-crash', r1);
	// It returns and preempts.
	powerOn(r0);
	await stack.boot(b, r0);
	await settledMaster(stack, b, r0, 40_000);
	await recorded(r1, ['BACKUP']);
	await sleep(1_000);
	probe('return-preempt', r0);
	report(JSON.stringify({ stack: stack.name, lanMac, wanPortMac, results: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { master: v.master, vip: { ...v.vip, raw: undefined }, wan: { ...v.wan, raw: undefined } }])) }));
	return { results, lanMac, wanPortMac };
}

const snatAddr = (node: RouterNode): string | undefined => /snat ip to (\S+)/.exec(nsRun(node.ns, 'nft', ['list', 'table', 'inet', 'ha_router'], { check: false }).stdout)?.[1];

/**
 * The watches really ran, no node without the lease sent a frame from the shared MAC, and two nodes held the lease
 * address at once only for `overlapMs` at most at a time: 0 when keepalived stops (its priority-0 advert goes out
 * after it removed its addresses); at a preempt the new master adds the address as it sends the advert that makes
 * the old one step down, so both hold it for that advert's trip (docs/decisions.md, "keepalived carries the WAN").
 */
function expectOneWanHolder(r: StopLoop, overlapMs = 0): void {
	expect(r.sampler.samples).toBeGreaterThan(STOPS * 100); // the sampler really ran (~20 ms over ≥ 5 s a round)
	// Every handover adds the lease address on one node and removes it on the other: the watch saw them.
	expect(r.watch.count()).toBeGreaterThanOrEqual(STOPS * 2);
	expect(r.double.periods.filter((p) => p.ms > overlapMs)).toEqual([]);
	if (overlapMs === 0) {
		expect(r.sampler.overlaps).toEqual([]);
		expect(r.sampler.doubleMs).toBe(0);
	} else {
		// The sampler cross-checks the watch: an overlap it happens to sample must be one the watch timed (allowed
		// above), within the sampler's own lag (a sample reads both nodes); one the watch missed fails here.
		const SLACK_MS = 50;
		expect(r.sampler.overlaps.filter((o) => !r.double.periods.some((p) => o.t >= p.from - SLACK_MS && o.t <= p.from + p.ms + SLACK_MS))).toEqual([]);
	}
	// The capture really ran (each new master sends GARPs from the shared MAC), and no node without the lease sent
	// a single frame from the shared MAC.
	expect(r.frames).toBeGreaterThanOrEqual(STOPS);
	expect(r.strays).toEqual([]);
}

describe.skipIf(skipLinux)('exclusivity on the linux stack', () => {
	// Before keepalived carried the WAN (issue 12), the hooks raced here: 11-17 ms of two WANs in 2 of 5 stops, and
	// up to ~200 ms at a preempt.
	it(`never has the shared WAN on two nodes: keepalived stopped on the master ${STOPS} times in a row, dnsmasq stop takes 3 s`, async () => {
		// nopreempt: the restarted node comes back as BACKUP, so every handover here is a keepalived stop.
		expectOneWanHolder(await stopLoop(haRouterStack, { preempt: false }));
	}, 30_000 + STOPS * 25_000);

	// Measured 0.3-8 ms (8 ms with the whole suite running); the bound is one advert interval: an old master that has
	// not stepped down by the next advert is no longer the advert's trip (the hook-driven WAN overlapped ~200 ms).
	it(`has the lease on two nodes at a preempt only for the advert's trip (under one advert interval), and the old master sends nothing from the shared MAC, ${STOPS} times`, async () => {
		expectOneWanHolder(await stopLoop(haRouterStack, { preempt: true }), haRouterStack.advertIntS * 1000);
	}, 30_000 + STOPS * 25_000);

	it('changes the WAN address and SNAT when the lease changes while MASTER, and new connections work', async () => {
		const stack = haRouterStack;
		const { bed: b, r0, r1 } = await bootedPair(stack);
		const old = wanAddr(r0)!;
		const fresh = '198.51.100.50';
		expect(old.split('/')[0]).not.toBe(fresh);
		// The ISP now reserves another address for the shared MAC; then r0's DHCP client renews (SIGUSR1).
		await restartIspDhcp(b, [`--dhcp-host=${WAN_MAC},${fresh}`]);
		const pid = Number(readFileSync(path.join(r0.root, 'var/run/ha-router/udhcpc-hawan.pid'), 'utf8').trim());
		expect(readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).toBe('udhcpc');
		killPid(pid, 'SIGUSR1');
		const seen = await waitFor('the new lease on the WAN', () => {
			const a = wanDevice(r0).addrs;
			return a.includes(`${fresh}/24`) ? a : undefined;
		}, 30_000, 50).catch(() => wanDevice(r0).addrs);
		// Give the lease hook time to load the SNAT address (bounded; the assertion below is on the state).
		await waitFor('SNAT to the new lease', () => snatAddr(r0) === fresh, 10_000, 50).catch(() => undefined);
		// The standby's keepalived follows through the beacon and its lease watcher: a takeover now brings the new lease.
		const standbyPart = (): string => readFileSync(path.join(r1.root, 'var/run/ha-router/keepalived-wan.conf'), 'utf8');
		await waitFor("the new lease in the standby's keepalived", () => standbyPart().includes(`${fresh}/24 dev hawan`), 15_000, 100).catch(() => undefined);
		const def = nsRun(r0.ns, 'ip', ['-4', 'route', 'show', 'default'], { check: false }).stdout.trim();
		const st = { before: old, wanAddrs: wanDevice(r0).addrs, seen, snat: snatAddr(r0), defaultRoute: def, role: recordedRole(r0) };
		let traffic: ReturnType<typeof summary> | string;
		try {
			const meter = await startMeter(b, { streams: 10, connectTimeoutMs: 5_000 });
			await sleep(1_000);
			traffic = summary(await meter.stop());
		} catch (e) {
			traffic = (e as Error).message.slice(0, 500);
		}
		report(JSON.stringify({ ...st, traffic }));
		expect(st.wanAddrs).toEqual([`${fresh}/24`]);
		expect(standbyPart()).toContain(`${fresh}/24 dev hawan`);
		expect(st.snat).toBe(fresh);
		// keepalived's route and the DHCP client's may both be there: every one through the lease's gateway.
		expect(def.split('\n').map((l) => l.replace(/ proto keepalived$/, ''))).toEqual(expect.arrayContaining([`default via ${ISP_GW} dev hawan`]));
		expect(def.split('\n').every((l) => l.startsWith(`default via ${ISP_GW} dev hawan`))).toBe(true);
		expect(typeof traffic).not.toBe('string');
		const t = traffic as ReturnType<typeof summary>;
		expect(t.tcp.survived).toBe(10);
		expect(t.tcp.reset).toBe(0);
		expect(t.udp.received).toBeGreaterThan(0);
	}, 110_000);
});

for (const [stack, skip] of [
	[haRouterStack, skipLinux],
	[openwrtStack, skipOpenwrt],
] as const) {
	describe.skipIf(skip)(`exclusivity on the ${stack.name} stack`, () => {
		it('has only the master answer ARP for the VIP (LAN) and for the lease (ISP) after keepalived-stop, master-crash and return-preempt', async () => {
			const { results, lanMac, wanPortMac } = await arpScenarios(stack);
			for (const [name, r] of Object.entries(results)) {
				const standby = r.master === 'r0' ? 'r1' : 'r0';
				// LAN: exactly one MAC, the master's, once per probe (a standby with a stale local route would add its own).
				expect({ name, vipMacs: r.vip.macs, vipReplies: r.vip.replies }).toEqual({ name, vipMacs: [lanMac[r.master]], vipReplies: r.vip.probes });
				// ISP: exactly one MAC, the shared one, once per probe. Twice would mean two nodes hold the lease; the
				// master's own WAN port answered too while its arp_ignore was 0 (apply sets 1 on the parent).
				expect({ name, wanMacs: r.wan.macs, wanReplies: r.wan.replies }).toEqual({ name, wanMacs: [WAN_MAC], wanReplies: r.wan.probes });
				expect({ name, standbyAnswers: r.wan.macs.includes(wanPortMac[standby]) }).toEqual({ name, standbyAnswers: false });
			}
		}, 170_000);

		it('keeps the WAN address and every flow across a keepalived reload while MASTER', async () => {
			const { bed: b, r0 } = await bootedPair(stack);
			const before = wanAddr(r0);
			const reloads = (): number | undefined => {
				// The linux stack's keepalived logs to <root>/var/log/keepalived.log (init-scripts.ts); the openwrt one to syslog.
				const f = path.join(r0.root, 'var/log/keepalived.log');
				return existsSync(f) ? (readFileSync(f, 'utf8').match(/Reloading/g) ?? []).length : undefined;
			};
			const reloadsBefore = reloads();
			const meter = await startMeter(b, { streams: 200 });
			let missing = 0;
			let samples = 0;
			let vipLost = 0;
			let tr: Awaited<ReturnType<typeof meter.stop>>;
			try {
				await sleep(2_000);
				await meter.mark('fault');
				const watch = (async () => {
					const end = Date.now() + 6_000;
					while (Date.now() < end) {
						samples++;
						if (wanAddr(r0) !== before) missing++;
						if (!hasVip(r0)) vipLost++;
						await sleep(20);
					}
				})();
				const r = await initd(r0, 'keepalived', 'reload');
				expect(r.code, r.out).toBe(0);
				await watch;
				tr = await meter.stop();
			} finally {
				meter.kill();
			}
			const after = wanAddr(r0);
			const roles = { r0: recordedRole(r0), r1: recordedRole(b.routers[1]!) };
			const reloadsAfter = reloads();
			report(JSON.stringify({ stack: stack.name, reloadsBefore, reloadsAfter, before, after, samples, samplesWithoutWanAddr: missing, samplesWithoutVip: vipLost, roles, traffic: summary(tr) }));
			expect(samples).toBeGreaterThan(100);
			if (stack === haRouterStack) expect(reloadsAfter).toBeGreaterThan(reloadsBefore!); // keepalived really reloaded
			expect(missing).toBe(0);
			expect(after).toBe(before);
			expect(tr.tcp.reset).toBe(0);
			expect(tr.tcp.survived).toBe(200);
			expect(tr.tcp.bytesMismatched).toBe(0);
		}, 150_000);
	});
}
