// Issue 13's drain on the testbed (linux platform, and once on the OpenWrt userland): with an uplink of its own on each router, `drain on` sends new
// connections from the LAN to the peer (the internet server sees the peer's own address), the open streams finish on
// the master with no reset, `drain status --wait` returns once they are gone, and the rules leave with `off`, a role
// change (`--then-switchover`) and a crash. Without an uplink on the peer the drain is refused and nothing changes.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crash, linksUp } from './lib/faults.ts';
import { haRouter, haRouterStack, haRouterUnavailable } from './lib/ha-router-node.ts';
import { nsRun, nsRunAsync, nsSpawn, report, sleep, waitFor } from './lib/exec.ts';
import { bootPair } from './lib/scenarios.ts';
import { openwrtHaRouter, openwrtStack, openwrtUnavailable } from './lib/openwrt-node.ts';
import type { Stack } from './lib/stack.ts';
import { createTestbed, hasVip, uplinkAddr, wanAddr, type RouterNode, type Testbed } from './lib/testbed.ts';
import { startMeter, summary } from './lib/traffic.ts';
import { defaultRole } from './lib/uci-files.ts';

const skip = process.getuid?.() !== 0 || haRouterUnavailable() !== undefined;
const skipOpenwrt = process.getuid?.() !== 0 || openwrtUnavailable() !== undefined;
const STREAMS = 20;
const WHOAMI = path.resolve('test/e2e/lib/meter/whoami.mjs');
const WHOAMI_PORT = '5003';

let bed: Testbed | undefined;
afterEach(async () => {
	await bed?.destroy();
	bed = undefined;
});

async function pair(uplinks: boolean, stack: Stack = haRouterStack): Promise<[RouterNode, RouterNode]> {
	const b = await createTestbed({ uplinks });
	bed = b;
	for (const r of b.routers) await stack.configure(b, r, defaultRole(r));
	const m = await bootPair(stack, b, report);
	expect(m.name).toBe('r0');
	// The whoami server on the "internet" host.
	const srv = b.track(nsSpawn(b.server.ns, process.execPath, [WHOAMI, 'serve', WHOAMI_PORT]));
	await new Promise<void>((resolve, reject) => {
		srv.stdout!.on('data', (d: Buffer) => d.toString().includes('READY') && resolve());
		srv.on('exit', () => reject(new Error('whoami server exited')));
	});
	return [m, b.routers.find((r) => r !== m)!];
}

/** The CLI as the admin runs it: the bundle under the node's root (linux), or the installed package (openwrt). */
const linuxCli = (node: RouterNode, args: string[]) => haRouter(node, [...args, '--root', node.root], 60_000);
let cliOf = linuxCli;

async function drain(node: RouterNode, ...args: string[]): Promise<{ code: number | null; out: Record<string, unknown> }> {
	const r = await cliOf(node, ['drain', ...args, '--json']);
	try {
		return { code: r.code, out: JSON.parse(r.stdout) as Record<string, unknown> };
	} catch {
		return { code: r.code, out: { stdout: r.stdout, stderr: r.stderr } };
	}
}

/** Source addresses the internet server saw for n new connections from the first client. */
async function whoSees(n: number): Promise<{ answers: Record<string, number>; failed: number }> {
	const r = await nsRunAsync(bed!.clients[0]!.ns, process.execPath, [WHOAMI, 'ask', bed!.server.addr, WHOAMI_PORT, String(n)], { timeoutMs: 60_000 });
	return JSON.parse(r.stdout) as { answers: Record<string, number>; failed: number };
}

function drainTable(node: RouterNode): boolean {
	return nsRun(node.ns, 'nft', ['list', 'table', 'ip', 'ha_router_drain'], { check: false }).code === 0;
}

const drainFile = (node: RouterNode): string => path.join(node.root, 'var/run/ha-router/drain.json');

/** Counts, at the ISP, packets from the per-node uplink range entering on each router's ports (its WAN port, its
 * uplink): a connection the peer serves must leave by the peer's uplink, never by the master's WAN. */
function countUplinkSources(b: Testbed): () => Record<string, number> {
	const ports = b.routers.flatMap((r) => [r.name, `u${r.index}`]);
	const chains = ports.map((p) => `chain ${p} { type filter hook ingress device "${p}" priority 0; ip saddr 192.0.2.0/24 counter; }`);
	nsRun(b.ns.isp, 'nft', ['-f', '-'], { input: `table netdev seen {\n${chains.join('\n')}\n}\n` });
	return () => {
		const out = nsRun(b.ns.isp, 'nft', ['list', 'table', 'netdev', 'seen']).stdout;
		return Object.fromEntries(ports.map((p) => [p, Number(new RegExp(`chain ${p} \\{[^}]*?counter packets (\\d+)`).exec(out)?.[1] ?? -1)]));
	};
}

describe.skipIf(skip)('drain (linux platform, an uplink per node)', () => {
	beforeEach(() => {
		cliOf = linuxCli;
	});

	it('new connections go to the peer, open streams finish here with no reset, --wait returns when they are gone', async () => {
		const [r0, r1] = await pair(true);
		const wan = wanAddr(r0)!.split('/')[0]!;
		// Before: the internet sees the shared WAN address.
		expect(await whoSees(5)).toEqual({ answers: { [wan]: 5 }, failed: 0, errors: {} });
		const meter = await startMeter(bed!, { streams: STREAMS });
		const on = await drain(r0, 'on');
		report(JSON.stringify(on));
		expect(on).toMatchObject({ code: 0, out: { ok: true, already: false, peer: 'r1', targets: [{ device: 'lan0', peer: r1.lanAddr }] } });
		expect(on.out.open).toBeGreaterThanOrEqual(STREAMS);
		expect(drainTable(r0) && !drainTable(r1)).toBe(true);
		// Twice: idempotent.
		expect(await drain(r0, 'on')).toMatchObject({ code: 0, out: { ok: true, already: true } });
		// Every new connection is served by the peer through its own uplink, and none leaves by the master's WAN.
		const seen = countUplinkSources(bed!);
		const during = await whoSees(50);
		report(JSON.stringify(during));
		expect(during).toEqual({ answers: { [uplinkAddr(r1)]: 50 }, failed: 0, errors: {} });
		const ports = seen();
		report(JSON.stringify(ports));
		expect(ports).toMatchObject({ r0: 0, r1: 0, u0: 0 });
		expect(ports.u1).toBeGreaterThanOrEqual(50 * 3);
		const st = await drain(r0, 'status');
		expect(st.out).toMatchObject({ ok: true, draining: true, peer: 'r1' });
		expect(st.out.open).toBeGreaterThanOrEqual(STREAMS);
		expect(st.out.mirrored).toBeGreaterThan(0);
		// A wait that ends before the streams do: exit 1, the drain stays.
		expect(await drain(r0, 'status', '--wait', '1')).toMatchObject({ code: 1, out: { draining: true } });
		const waiting = drain(r0, 'status', '--wait', '30');
		await sleep(1_000);
		const traffic = await meter.stop();
		report(JSON.stringify(summary(traffic)));
		expect(traffic.tcp.survived).toBe(STREAMS);
		expect(traffic.tcp.reset).toBe(0);
		const waited = await waiting;
		if (waited.code !== 0) report(nsRun(r0.ns, 'conntrack', ['-L', '-p', 'tcp'], { check: false }).stdout);
		expect(waited).toMatchObject({ code: 0, out: { ok: true, open: 0, draining: true } });
		// off, then off again.
		expect(await drain(r0, 'off')).toMatchObject({ code: 0, out: { ok: true, changed: true } });
		expect(drainTable(r0) || existsSync(drainFile(r0))).toBe(false);
		expect(await drain(r0, 'off')).toMatchObject({ code: 0, out: { ok: true, changed: false } });
		expect(await whoSees(5)).toEqual({ answers: { [wan]: 5 }, failed: 0, errors: {} });
		// Bad input: a usage error, nothing changed.
		for (const args of [[], ['bogus'], ['on', '--wait', 'soon'], ['off', '--wait', '3'], ['status', '--then-switchover'], ['on', 'now']]) {
			const r = await haRouter(r0, ['drain', ...args, '--root', r0.root]);
			expect([args, r.code]).toEqual([args, 2]);
		}
		// On the BACKUP: refused.
		const onBackup = await drain(r1, 'on');
		expect(onBackup.code).toBe(1);
		expect(onBackup.out.refused).toEqual(expect.arrayContaining([expect.stringMatching(/^role: this node is BACKUP/)]));
		expect(drainTable(r0) || drainTable(r1)).toBe(false);
	}, 180_000);

	it('--then-switchover hands the role over once the last stream closed; the role change ends the drain', async () => {
		const [r0, r1] = await pair(true);
		const meter = await startMeter(bed!, { streams: STREAMS });
		const running = drain(r0, 'on', '--wait', '30', '--then-switchover');
		await waitFor('drain on', () => drainTable(r0), 10_000, 50);
		await sleep(1_000);
		expect(hasVip(r0)).toBe(true);
		const traffic = await meter.stop();
		expect(traffic.tcp.reset).toBe(0);
		expect(traffic.tcp.survived).toBe(STREAMS);
		const r = await running;
		report(JSON.stringify(r));
		expect(r).toMatchObject({ code: 0, out: { ok: true, open: 0, switchover: { ok: true, peer: 'r1' } } });
		await waitFor('the drain ended by the role change', () => !drainTable(r0) && !existsSync(drainFile(r0)), 10_000, 50);
		expect(hasVip(r1) && !hasVip(r0)).toBe(true);
		expect(drainTable(r1)).toBe(false);
	}, 180_000);

	it('a crash of the draining master: the peer takes over, no rule is left when the old master comes back', async () => {
		const [r0, r1] = await pair(true);
		const meter = await startMeter(bed!, { streams: STREAMS });
		expect((await drain(r0, 'on')).code).toBe(0);
		await crash(r0, []);
		await waitFor('r1 master with the WAN', () => hasVip(r1) && wanAddr(r1) !== undefined, 20_000, 20);
		const traffic = await meter.stop();
		report(JSON.stringify(summary(traffic)));
		expect(traffic.tcp.survived).toBe(STREAMS);
		expect(traffic.tcp.reset).toBe(0);
		// Its processes died; a reboot clears /var/run (drain.json) and the kernel's tables. Here the table outlives its
		// record (the harder case): the boot's apply removes it anyway.
		expect(drainTable(r0)).toBe(true);
		for (const d of ['var/run', 'var/lock']) for (const f of readdirSync(path.join(r0.root, d))) rmSync(path.join(r0.root, d, f), { recursive: true, force: true });
		linksUp(r0);
		await haRouterStack.boot(bed!, r0);
		await waitFor('r0 back as master (preempt), without drain rules', () => hasVip(r0) && !drainTable(r0) && !existsSync(drainFile(r0)), 30_000, 50);
		expect(drainTable(r1)).toBe(false);
	}, 180_000);

	it('refused without an uplink on the peer: nothing changes', async () => {
		const [r0] = await pair(false);
		const r = await drain(r0, 'on');
		report(JSON.stringify(r));
		expect(r.code).toBe(1);
		expect(r.out.refused).toEqual([expect.stringMatching(/^peer-uplink: the peer has no way out of its own/)]);
		expect(drainTable(r0) || existsSync(drainFile(r0))).toBe(false);
	}, 120_000);
});

describe.skipIf(skipOpenwrt)('drain on the OpenWrt userland (procd, fw4, the installed package)', () => {
	beforeEach(() => {
		cliOf = (node, args) => openwrtHaRouter(node, args);
	});

	it('new connections go to the peer, open streams finish here, the rules survive fw4 and leave with off', async () => {
		const [r0, r1] = await pair(true, openwrtStack);
		const meter = await startMeter(bed!, { streams: STREAMS });
		expect(await drain(r0, 'on')).toMatchObject({ code: 0, out: { ok: true, peer: 'r1', targets: [{ device: 'lan0', peer: r1.lanAddr }] } });
		// fw4 reloads on every ifup: our table is not fw4's to flush.
		expect(nsRun(r0.ns, path.join(r0.root, 'sbin/fw4'), ['reload'], { check: false }).code).toBe(0);
		expect(drainTable(r0)).toBe(true);
		const seen = countUplinkSources(bed!);
		expect(await whoSees(20)).toEqual({ answers: { [uplinkAddr(r1)]: 20 }, failed: 0, errors: {} });
		expect(seen()).toMatchObject({ r0: 0, r1: 0, u0: 0 });
		const waiting = drain(r0, 'status', '--wait', '30');
		await sleep(500);
		const traffic = await meter.stop();
		expect(traffic.tcp.survived).toBe(STREAMS);
		expect(traffic.tcp.reset).toBe(0);
		expect(await waiting).toMatchObject({ code: 0, out: { ok: true, open: 0, draining: true } });
		expect(await drain(r0, 'off')).toMatchObject({ code: 0, out: { ok: true, changed: true } });
		expect(drainTable(r0) || drainTable(r1)).toBe(false);
	}, 240_000);
});
