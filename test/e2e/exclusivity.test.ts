// Issue 12, "Exclusivity" and "Bad input and faults": the WAN is one identity (shared MAC + lease on one node only,
// outside a VRRP split), only the master answers ARP for the VIP and for the lease, a lease that changes while MASTER
// leaves nothing stale, and a keepalived reload while MASTER keeps the WAN and every flow.
// Each test builds its own testbed and destroys it (namespaces, processes by pid) also when it fails.
// HA_EXCLUSIVITY_STOPS=20 runs the repeated keepalived stop 20 times (default 5); HA_EXCLUSIVITY_KNOWN_FAILURES=1
// also runs the tests that fail today (their titles say why; the fix is in src/).
import { afterEach, describe, expect, it } from 'vitest';
import { crash, powerOn, stopKeepalived } from './lib/faults.ts';
import { haRouterStack, haRouterUnavailable } from './lib/ha-router-node.ts';
import { writeInitScripts } from './lib/init-scripts.ts';
import { arpAnswers, lastTransition, macOf, recordedRole, wanDevice, WanSampler, WanWatch, type ArpAnswers } from './lib/exclusivity.ts';
import { ipn, killPid, nsRun, sleep, waitFor } from './lib/exec.ts';
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
/** HA_EXCLUSIVITY_KNOWN_FAILURES=1 runs the tests of properties that fail today (findings; their fix is in src/). */
const KNOWN_FAILURES = process.env.HA_EXCLUSIVITY_KNOWN_FAILURES === '1';
const report = (s: string): void => {
	process.stderr.write(`${s}\n`);
};

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
async function stopLoop(stack: Stack, opts: { preempt: boolean }): Promise<{ sampler: WanSampler; watch: WanWatch; double: ReturnType<WanWatch['double']> }> {
	const b = await createTestbed();
	bed = b;
	for (const r of b.routers) writeInitScripts(r, { slowStopS: { dnsmasq: 3 } });
	for (const r of b.routers) await stack.configure(b, r, { ...defaultRole(r), nopreempt: !opts.preempt });
	let m = await bootPair(stack, b, report);
	const sampler = new WanSampler(b, 20);
	const watch = new WanWatch(b);
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
		await sampler.stop();
		watch.stop();
	}
	const double = watch.double();
	report(JSON.stringify({ stack: stack.name, preempt: opts.preempt, stops: STOPS, watched: { events: watch.count(), doubleWanMs: double.ms, periods: double.periods }, samples: sampler.samples, doubleWanMs: sampler.doubleMs, byPhase: Object.fromEntries(sampler.doubleMsByPhase), overlaps: sampler.overlaps.slice(0, 30), rounds }));
	return { sampler, watch, double };
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

/** The watches really ran, and at no moment did two nodes hold the shared WAN. */
function expectOneWanHolder(r: Awaited<ReturnType<typeof stopLoop>>): void {
	expect(r.sampler.samples).toBeGreaterThan(STOPS * 100); // the sampler really ran (~20 ms over ≥ 5 s a round)
	// Every handover creates and deletes the macvlan on some node: the watch saw them.
	expect(r.watch.count()).toBeGreaterThanOrEqual(STOPS * 2);
	expect(r.double.periods).toEqual([]);
	expect(r.double.ms).toBe(0);
	expect(r.sampler.overlaps).toEqual([]);
	expect(r.sampler.doubleMs).toBe(0);
}

describe.skipIf(skipLinux)('exclusivity on the linux stack', () => {
	// FINDING (issue 12, fix in src/): the hook-driven WAN cannot be exclusive. keepalived on the stopping master sends
	// its priority-0 advert before it runs the STOP hook, so the peer's MASTER hook starts as early as the STOP hook
	// (seen: 18 ms BEFORE it) and the two race: `ip -ts monitor` saw the shared MAC up on the new master while the old
	// one still held the lease for 17 ms and 11 ms in 2 of 5 stops (each hook's WAN step takes 30-50 ms). A 20 ms
	// poll (the sampler below) sees 0 ms: only the event watch catches it. Fix: keepalived owns the WAN address, or
	// the new master waits for the lease to be released (issue 12, Deliver 1).
	it.skipIf(!KNOWN_FAILURES)(`FAILS, fix in src (the two nodes' hooks race; 11-17 ms of two WANs in 2 of 5 stops): never has the shared WAN on two nodes: keepalived stopped on the master ${STOPS} times in a row, dnsmasq stop takes 3 s`, async () => {
		// nopreempt: the restarted node comes back as BACKUP, so every handover here is a keepalived stop.
		expectOneWanHolder(await stopLoop(haRouterStack, { preempt: false }));
	}, 30_000 + STOPS * 25_000);

	// FINDING (issue 12, fix in src/): with preempt, when keepalived comes back on r0 and r0 takes the master role
	// back, r0's MASTER hook brings the shared WAN up while r1's BACKUP hook has not taken it down yet. Measured: the
	// 20 ms poll saw two WANs in 3 runs of 5 preempts each (once ~199 ms, 4 samples in a row); the event watch saw
	// 5 ms and 56 ms in 2 of 3 preempts. Nothing on the new master waits for the old one to release the lease.
	it.skipIf(!KNOWN_FAILURES)(`FAILS, fix in src (hook-driven WAN races at a preempt; up to ~200 ms of two WANs, in most runs): never has the shared WAN on two nodes when keepalived restarts on the preferred node and preempts, ${STOPS} times`, async () => {
		expectOneWanHolder(await stopLoop(haRouterStack, { preempt: true }));
	}, 30_000 + STOPS * 25_000);

	it('changes the WAN address and SNAT when the lease changes while MASTER, and new connections work', async () => {
		const stack = haRouterStack;
		const { bed: b, r0 } = await bootedPair(stack);
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
		expect(st.snat).toBe(fresh);
		expect(def).toBe(`default via ${ISP_GW} dev hawan`);
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
			const meter = await startMeter(b, { streams: 50 });
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
			expect(tr.tcp.survived).toBe(50);
			expect(tr.tcp.bytesMismatched).toBe(0);
		}, 150_000);
	});
}
