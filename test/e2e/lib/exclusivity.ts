// Instruments for "one identity" properties (issue 12): who holds the shared WAN at each moment, who answers ARP for
// an address, and a node's recorded role. Nothing here asserts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { ipn, killPid, nsRun, nsSpawn, sleep } from './exec.ts';
import { WAN_DEV, WAN_MAC, type RouterNode, type Testbed } from './testbed.ts';

/** The shared-MAC macvlan of a node: present, its operstate, its IPv4 addresses. */
export function wanDevice(node: RouterNode): { present: boolean; state: string; addrs: string[] } {
	// `ip -br addr`: "hawan@wan0  UP  198.51.100.100/24 fe80::.../64" (one call: state and addresses together).
	const r = ipn(node.ns, ['-br', '-4', 'addr', 'show', 'dev', WAN_DEV], false);
	const line = r.stdout.trim();
	if (r.code !== 0 || line === '') {
		// -4 prints nothing for a device without IPv4 addresses: ask for the link itself.
		const l = ipn(node.ns, ['-br', 'link', 'show', 'dev', WAN_DEV], false);
		if (l.code !== 0 || l.stdout.trim() === '') return { present: false, state: 'ABSENT', addrs: [] };
		return { present: true, state: l.stdout.trim().split(/\s+/)[1] ?? '?', addrs: [] };
	}
	const [, state = '?', ...addrs] = line.split(/\s+/);
	return { present: true, state, addrs };
}

/** The node holds the shared WAN identity: the shared-MAC macvlan carries a lease address. The macvlan itself is up
 * on both nodes (keepalived adds the address on MASTER); that the standby's stays silent is what SharedMacCapture
 * checks, on the wire. */
export function holdsWan(node: RouterNode): boolean {
	return wanDevice(node).addrs.length > 0;
}

export interface WanSample {
	t: number;
	holders: string[];
	phase: string;
	/** Each node's WAN device right after the overlapping sample (what the overlap looked like). */
	devices: string[];
}

/** Samples every ~`everyMs` which routers hold the shared WAN, until stopped (bounded by `maxMs` anyway). */
export class WanSampler {
	readonly overlaps: WanSample[] = [];
	samples = 0;
	/** Approximate time with two or more holders: each overlapping sample counts the time since the previous one. */
	doubleMs = 0;
	readonly doubleMsByPhase = new Map<string, number>();
	phase = '';
	private on = true;
	private readonly done: Promise<void>;

	constructor(private readonly bed: Testbed, everyMs = 20, maxMs = 900_000) {
		const end = Date.now() + maxMs;
		this.done = (async () => {
			let prev = Date.now();
			while (this.on && Date.now() < end) {
				const holders = this.bed.routers.filter(holdsWan).map((r) => r.name);
				const t = Date.now();
				this.samples++;
				if (holders.length >= 2) {
					const ms = t - prev;
					this.doubleMs += ms;
					this.doubleMsByPhase.set(this.phase, (this.doubleMsByPhase.get(this.phase) ?? 0) + ms);
					this.overlaps.push({ t, holders, phase: this.phase, devices: this.bed.routers.map((r) => `${r.name} ${JSON.stringify(wanDevice(r))}`) });
				}
				prev = t;
				await sleep(everyMs);
			}
		})();
	}

	async stop(): Promise<void> {
		this.on = false;
		await this.done;
	}
}

export interface ArpAnswers {
	/** ARP requests sent. */
	probes: number;
	/** Replies received (one holder answers each probe once). */
	replies: number;
	/** Distinct MACs that answered, lower case, sorted. */
	macs: string[];
	raw: string;
}

/** Broadcasts `probes` ARP requests for `target` from `dev` in namespace `ns` (busybox arping, -b: never switches
 * to unicast, so every holder sees every probe) and collects every reply. */
export function arpAnswers(ns: string, dev: string, target: string, probes = 3): ArpAnswers {
	const r = nsRun(ns, 'busybox', ['arping', '-b', '-c', String(probes), '-w', String(probes + 1), '-I', dev, target], { check: false, timeoutMs: (probes + 5) * 1000 });
	const macs = [...r.stdout.matchAll(/reply from \S+ \[([0-9a-fA-F:]+)\]/g)].map((m) => (m[1] ?? '').toLowerCase());
	return { probes, replies: macs.length, macs: [...new Set(macs)].sort(), raw: r.stdout.trim() };
}

/** A device's MAC in a namespace, lower case. */
export function macOf(ns: string, dev: string): string {
	const r = ipn(ns, ['-br', 'link', 'show', 'dev', dev]);
	return (r.stdout.trim().split(/\s+/)[2] ?? '').toLowerCase();
}

/** The role a node recorded at the end of its last transition (state.json), or undefined. */
export function recordedRole(node: RouterNode): { role: string; ok: boolean } | undefined {
	try {
		const st = JSON.parse(readFileSync(path.join(node.root, 'var/run/ha-router/state.json'), 'utf8')) as { role: string; transition: { ok: boolean } };
		return { role: st.role, ok: st.transition.ok };
	} catch {
		return undefined;
	}
}

/** A node's last transition on the wall clock (state.json): when it started and when its first step (the WAN step
 * of every plan) ended. Same host clock for every node of the testbed, so two nodes' lines can be compared. */
export function lastTransition(node: RouterNode): { role: string; started: number; firstStep: string; firstStepEnd: number } | undefined {
	try {
		const st = JSON.parse(readFileSync(path.join(node.root, 'var/run/ha-router/state.json'), 'utf8')) as {
			role: string;
			transition: { started: number; steps: { kind: string; ms: number }[] };
		};
		const first = st.transition.steps[0];
		return { role: st.role, started: st.transition.started, firstStep: first?.kind ?? '-', firstStepEnd: Math.round(st.transition.started + (first?.ms ?? 0)) };
	} catch {
		return undefined;
	}
}

interface WanEvent {
	node: string;
	t: number;
	holds: boolean;
	line: string;
}

/** Event-driven record of who holds the shared WAN: `ip -ts monitor link address` in each router's namespace, with
 * the kernel notification's timestamp as `ip` received it (microseconds; the same host clock for every node), so
 * overlaps shorter than any polling interval are seen too. */
export class WanWatch {
	readonly events: WanEvent[] = [];
	private readonly procs: ChildProcess[] = [];
	private readonly initial = new Map<string, boolean>();
	private readonly start = Date.now();

	constructor(bed: Testbed) {
		for (const r of bed.routers) {
			const st = { present: false, up: false, addrs: new Set<string>() };
			const w = wanDevice(r);
			st.present = w.present;
			st.up = w.present && w.state !== 'DOWN';
			for (const a of w.addrs) st.addrs.add(a);
			this.initial.set(r.name, holdsWan(r));
			const p = bed.track(nsSpawn(r.ns, 'ip', ['-ts', 'monitor', 'link', 'address']));
			this.procs.push(p);
			const rl = readline.createInterface({ input: p.stdout! });
			rl.on('line', (l) => {
				const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})\d*\] (Deleted )?\d+: (\S+?)(?:@\S+)?:? +(.*)$/.exec(l);
				if (!m || m[3] !== WAN_DEV) return;
				const t = new Date(m[1]!).getTime();
				const deleted = m[2] !== undefined;
				const rest = m[4]!;
				const inet = /^inet (\S+)/.exec(rest);
				if (inet) {
					if (deleted) st.addrs.delete(inet[1]!);
					else st.addrs.add(inet[1]!);
				} else if (rest.startsWith('<')) {
					st.present = !deleted;
					st.up = !deleted && /[<,]UP[,>]/.test(rest);
					if (deleted) st.addrs.clear();
				} else return; // inet6
				this.events.push({ node: r.name, t, holds: st.present && st.addrs.size > 0, line: l.slice(0, 120) });
			});
		}
	}

	/** Total time with two or more holders from the start of the watch to `to`, and each such period. */
	double(to = Date.now()): { ms: number; periods: { from: number; ms: number; lines: string[] }[] } {
		const state = new Map(this.initial);
		const evs = [...this.events].sort((a, b) => a.t - b.t);
		const periods: { from: number; ms: number; lines: string[] }[] = [];
		let cur: { from: number; ms: number; lines: string[] } | undefined;
		for (const e of [...evs, { node: '', t: to, holds: false, line: '' }]) {
			if (e.node) state.set(e.node, e.holds);
			const n = [...state.values()].filter(Boolean).length;
			if (n >= 2 && !cur) cur = { from: e.t, ms: 0, lines: [e.line] };
			else if (n < 2 && cur) {
				cur.ms = Math.round((e.t - cur.from) * 10) / 10;
				if (e.line) cur.lines.push(e.line);
				periods.push(cur);
				cur = undefined;
			}
		}
		return { ms: Math.round(periods.reduce((s, p) => s + p.ms, 0) * 10) / 10, periods };
	}

	/** Whether `node` held the WAN at some moment from wall-clock ms `from` to `to` (by the events). */
	heldWithin(node: string, from: number, to: number): boolean {
		let holds = this.initial.get(node) ?? false;
		for (const e of [...this.events].sort((a, b) => a.t - b.t)) {
			if (e.node !== node) continue;
			if (e.t > from) {
				if (holds) return true; // held when the window opened
				if (e.t > to) return false;
			}
			holds = e.holds;
		}
		return holds;
	}

	/** Events seen, for a check that the watch really ran. */
	count(): number {
		return this.events.length;
	}

	stop(): void {
		for (const p of this.procs) if (p.pid !== undefined && p.exitCode === null) killPid(p.pid, 'SIGKILL');
	}
}

/** A frame a router sent from the shared MAC, as the ISP's bridge port of that router received it. */
export interface SharedMacFrame {
	node: string;
	/** Wall-clock ms (tcpdump -tt: the same host clock as WanWatch). */
	t: number;
	line: string;
}

/**
 * tcpdump on each router's port of the ISP bridge, for frames from the shared MAC: the standby must never send one
 * (issue 12: its macvlan is up but silent). Each port has one router behind it, so a frame there says who sent it.
 */
export class SharedMacCapture {
	readonly frames: SharedMacFrame[] = [];
	private readonly procs: ChildProcess[] = [];

	constructor(bed: Testbed) {
		for (const r of bed.routers) {
			// -Q in: what the router sent into the bridge; -l: line-buffered; -tt: epoch seconds.
			const p = bed.track(nsSpawn(bed.ns.isp, 'tcpdump', ['-i', r.name, '-Q', 'in', '-nn', '-e', '-tt', '-l', 'ether', 'src', WAN_MAC]));
			this.procs.push(p);
			const rl = readline.createInterface({ input: p.stdout! });
			rl.on('line', (l) => {
				const m = /^(\d+\.\d+) /.exec(l);
				if (m) this.frames.push({ node: r.name, t: Number(m[1]) * 1000, line: l.slice(0, 160) });
			});
		}
	}

	/**
	 * Frames a node sent while it held no WAN address by the watch. `ip -ts monitor` stamps an event when it reads it,
	 * which lags on a loaded machine (seen: a new master's GARPs stamped before its address, under `make test`): a
	 * frame counts when the node held the address from `beforeMs` before it to `afterMs` after it. A standby that
	 * speaks (DHCP, IPv6, ARP answers) does so far from any change of holder and is still caught.
	 */
	strays(watch: WanWatch, beforeMs = 20, afterMs = 200): SharedMacFrame[] {
		return this.frames.filter((f) => !watch.heldWithin(f.node, f.t - beforeMs, f.t + afterMs));
	}

	async stop(): Promise<void> {
		// tcpdump prints a frame as it sees it; give the last ones a moment to arrive.
		await sleep(200);
		for (const p of this.procs) if (p.pid !== undefined && p.exitCode === null) killPid(p.pid, 'SIGKILL');
	}
}
