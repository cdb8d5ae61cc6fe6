// Watches which routers hold the VIP, from `ip monitor address` in each router's namespace (event-driven, so the
// time a router became master is the time its kernel got the address, not a polling tick).
import readline from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { killPid, nsSpawn } from './exec.ts';
import { VIP, hasVip, type RouterNode, type Testbed } from './testbed.ts';

export interface VipEvent {
	node: string;
	t: number;
	/** true: the VIP was added (or the node came back with it), false: removed or the node went down. */
	has: boolean;
}

export class VipWatch {
	readonly events: VipEvent[] = [];
	private readonly procs: ChildProcess[] = [];
	private readonly start = Date.now();
	private readonly initial = new Map<string, boolean>();

	constructor(bed: Testbed, private readonly routers: RouterNode[] = bed.routers) {
		for (const r of routers) {
			this.initial.set(r.name, hasVip(r));
			const p = bed.track(nsSpawn(r.ns, 'ip', ['monitor', 'address']));
			this.procs.push(p);
			const rl = readline.createInterface({ input: p.stdout! });
			rl.on('line', (l) => {
				if (!l.includes(`inet ${VIP}/`)) return;
				this.events.push({ node: r.name, t: Date.now(), has: !l.startsWith('Deleted') });
			});
		}
	}

	/** Pids a crash must spare (they are the test's instruments, not the router's processes). */
	pids(): number[] {
		return this.procs.map((p) => p.pid).filter((p): p is number => p !== undefined);
	}

	/** Records that a node went down (its links are cut: whatever address it holds serves no one). */
	markDown(node: RouterNode, t = Date.now()): void {
		this.events.push({ node: node.name, t, has: false });
	}

	/** The first time after `t` that `node` got the VIP. */
	becameMaster(node: RouterNode, after: number): number | undefined {
		return this.events.find((e) => e.node === node.name && e.has && e.t >= after)?.t;
	}

	/** Who holds the VIP at time t. */
	holdersAt(t: number): string[] {
		const state = new Map(this.initial);
		for (const e of this.events) if (e.t <= t) state.set(e.node, e.has);
		return [...state].filter(([, v]) => v).map(([k]) => k);
	}

	/** Total time within [from, to] during which two or more routers held the VIP, and the number of such periods. */
	doubleMaster(from: number, to: number): { ms: number; periods: number } {
		const state = new Map(this.initial);
		const evs = [...this.events].sort((a, b) => a.t - b.t);
		let ms = 0;
		let periods = 0;
		let prevT = this.start;
		let prevDouble = false;
		const count = (): number => [...state.values()].filter(Boolean).length;
		for (const e of [...evs, { node: '', t: to, has: false }]) {
			const a = Math.max(prevT, from);
			const b = Math.min(e.t, to);
			if (prevDouble && b > a) ms += b - a;
			if (e.node) state.set(e.node, e.has);
			const d = count() >= 2;
			if (d && !prevDouble && e.t >= from && e.t <= to) periods++;
			prevDouble = d;
			prevT = e.t;
		}
		return { ms: Math.round(ms), periods };
	}

	stop(): void {
		for (const p of this.procs) if (p.pid !== undefined && p.exitCode === null) killPid(p.pid, 'SIGKILL');
	}
}
