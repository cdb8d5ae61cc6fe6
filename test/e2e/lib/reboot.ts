// The boot scenario (issue 10): one node of a running pair reboots while streams flow through the pair. A reboot is
// a crash (every process of the node killed, links cut; the stack's own parts outside the namespace stop too), then
// power on (what a reboot clears in the kernel and in tmpfs is gone; the root's files stay), then the stack's boot
// sequence. The rebooted node must come back as BACKUP without ever running DHCP on the LAN, and the pair converge.
// Nothing here asserts: the test decides.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sleep, waitFor } from './exec.ts';
import { crash, powerOn } from './faults.ts';
import { bootPair, dnsmasqNodes, master } from './scenarios.ts';
import type { Stack } from './stack.ts';
import { createTestbed, nsProcesses, wanAddr, type RouterNode } from './testbed.ts';
import { startMeter, type TrafficResult } from './traffic.ts';
import { defaultRole } from './uci-files.ts';
import { VipWatch } from './vip-watch.ts';

export interface RebootOptions<P> {
	streams?: number;
	settleMs?: number;
	log?: (line: string) => void;
	/** Read from the rebooted node before the testbed goes (e.g. its procd's history). */
	probe?: (node: RouterNode) => P;
}

export interface RebootResult<P> {
	stack: string;
	which: 'master' | 'backup';
	rebooted: string;
	masterBefore: string;
	masterAfter?: string;
	wanBefore?: string;
	wanAfter?: string;
	/** Nodes holding the WAN address at the end. */
	wanHolders: string[];
	/** Nodes running the LAN DHCP server at the end. */
	roleHolders: string[];
	/** The rebooted node's role in ha-router's state file at the end (tmpfs: written since the boot). */
	rebootedRole?: string;
	/** The rebooted node held the VIP at some moment after power on. */
	rebootedHeldVip: boolean;
	/** A dnsmasq process was seen in the rebooted node's namespace after power on (sampled every 100 ms). */
	rebootedRanDhcp: boolean;
	/** From power on to the end of the stack's boot sequence. */
	bootMs: number;
	traffic: TrafficResult;
	probe?: P;
	durationMs: number;
	notes: string[];
}

function stateRole(node: RouterNode): string | undefined {
	try {
		return (JSON.parse(readFileSync(path.join(node.root, 'var/run/ha-router/state.json'), 'utf8')) as { role?: string }).role;
	} catch {
		return undefined;
	}
}

/** Samples whether a node runs dnsmasq, every 100 ms until stopped (bounded to 5 minutes). */
function watchDhcp(node: RouterNode): { stop(): boolean } {
	let seen = false;
	let on = true;
	const end = Date.now() + 300_000;
	void (async () => {
		while (on && Date.now() < end) {
			if (nsProcesses(node.ns).some((p) => p.comm === 'dnsmasq')) seen = true;
			await sleep(100);
		}
	})();
	return {
		stop() {
			on = false;
			return seen;
		},
	};
}

export async function runReboot<P>(stack: Stack, which: 'master' | 'backup', opts: RebootOptions<P> = {}): Promise<RebootResult<P>> {
	const log = opts.log ?? (() => {});
	const t0 = Date.now();
	const bed = await createTestbed();
	const notes: string[] = [];
	let watch: VipWatch | undefined;
	let meter: Awaited<ReturnType<typeof startMeter>> | undefined;
	let dhcp: { stop(): boolean } | undefined;
	log(`${stack.name} reboot ${which}: testbed ${bed.prefix}`);
	try {
		for (const r of bed.routers) {
			const role = defaultRole(r);
			// A returning master must not take the role back (that is the preempt scenario): it stays BACKUP.
			role.nopreempt = which === 'master';
			await stack.configure(bed, r, role);
		}
		watch = new VipWatch(bed);
		const m = await bootPair(stack, bed, log);
		const [a, b] = bed.routers as [RouterNode, RouterNode];
		const target = which === 'master' ? m : m === a ? b : a;
		const survivor = target === a ? b : a;
		meter = await startMeter(bed, { streams: opts.streams ?? 50 });
		await sleep(2_000);
		const wanBefore = wanAddr(m);
		const tFault = await meter.mark('reboot');
		await crash(target, watch.pids());
		await stack.powerOff?.(bed, target);
		watch.markDown(target);
		// A reboot takes longer than VRRP needs to notice: the survivor is master before the node is back.
		await waitFor(`${survivor.name} master with WAN`, () => master(bed) === survivor && wanAddr(survivor), 20_000, 20).catch(() => notes.push(`${survivor.name} was not master with a WAN address within 20 s of the reboot`));
		powerOn(target);
		const tOn = Date.now();
		dhcp = watchDhcp(target);
		await stack.boot(bed, target);
		const bootMs = Date.now() - tOn;
		log(`${target.name} booted in ${bootMs} ms`);
		await waitFor(`${target.name} BACKUP`, () => stateRole(target) === 'BACKUP', 20_000, 50).catch(() => notes.push(`${target.name} is not BACKUP 20 s after its boot (state: ${stateRole(target) ?? 'none'})`));
		await sleep(opts.settleMs ?? 6_000);
		const traffic = await meter.stop();
		meter = undefined;
		const after = master(bed);
		const result: RebootResult<P> = {
			stack: stack.name,
			which,
			rebooted: target.name,
			masterBefore: m.name,
			masterAfter: after?.name,
			wanBefore,
			wanAfter: after ? wanAddr(after) : undefined,
			wanHolders: bed.routers.filter((x) => wanAddr(x) !== undefined).map((x) => x.name),
			roleHolders: dnsmasqNodes(bed),
			rebootedRole: stateRole(target),
			rebootedHeldVip: watch.events.some((e) => e.node === target.name && e.has && e.t >= tOn),
			rebootedRanDhcp: dhcp.stop(),
			bootMs,
			traffic,
			probe: opts.probe?.(target),
			durationMs: 0,
			notes,
		};
		result.durationMs = Date.now() - t0;
		log(`${stack.name} reboot ${which}: done in ${result.durationMs} ms (fault at ${Math.round(tFault - t0)} ms)`);
		return result;
	} finally {
		dhcp?.stop();
		meter?.kill();
		watch?.stop();
		await bed.destroy();
	}
}
