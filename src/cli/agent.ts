// `ha-router agent`: the one resident ha-router process, on both nodes (procd instance `agent` of
// /etc/init.d/ha-router). On the peer link it sends a heartbeat every 500 ms (and at once on a change), answers the peer's
// queries, and guards against a split brain (src/peer/split-brain.ts) through the track file.
// It holds no state of its own: a demotion lives in /var/run/ha-router, so when the agent dies
// procd starts it again and it carries on; while it is down the pair fails over as always.
import type { Paths } from '../model/paths.ts';
import type { Model } from '../model/types.ts';
import type { Runtime, Udp } from '../runtime/runtime.ts';
import { UsageError } from '../errors.ts';
import { syncTrackFile, updateDemotion, demotionReason, trackValue } from '../exec/demotion.ts';
import { HEARTBEAT_MS, PEER_PORT, PEER_SILENT_MS, decodeMessage, encodeMessage, peerLink, type Heartbeat, type PeerLink } from '../peer/protocol.ts';
import { IPV4_ADDRESS_GROUP, parseAddressEvents } from '../peer/addr-events.ts';
import { announce } from '../peer/garp.ts';
import { effectivePriority, localState, nodeFacts, wanPartLease, type NodeFacts } from '../peer/local-state.ts';
import { judgeSplit } from '../peer/split-brain.ts';
import { run } from '../system/run.ts';
import { probeService, readDown, updateDown } from '../exec/service-health.ts';
import { UplinkMonitor } from '../exec/uplink-monitor.ts';
import { parseArgs } from './args.ts';
import type { Command } from './command.ts';
import { NODE_OPTIONS, nodePaths } from './context.ts';
import { loadNode, openPlatform } from './node.ts';

const CONFIG_CHECK_MS = 2000;
const TRACK_CHECK_MS = 5000;
/** How often VRRP from the peer is looked for while stepped down (one `nft list` each). */
const VRRP_CHECK_MS = 1000;

/** Packets counted by our VRRP accept rules (adverts from the peer), or null when unreadable. */
export function vrrpPackets(table: string): number | null {
	let sum: number | null = null;
	for (const line of table.split('\n')) {
		if (!line.includes('"!ha-router: VRRP ') || line.includes(' drop ')) continue;
		const m = /counter packets (\d+)/.exec(line);
		if (m) sum = (sum ?? 0) + Number(m[1]);
	}
	return sum;
}

/** The IPv4 VIPs with their devices: the addresses the agent watches and re-announces. */
function ipv4Vips(model: Model): { device: string; address: string }[] {
	return model.groups.flatMap((g) => g.vips.filter((v) => v.family === 4).map((v) => ({ device: v.device, address: v.address })));
}

class Agent {
	private model: Model;
	private link: PeerLink | null;
	private sock: Udp | null = null;
	private peer: { hb: Heartbeat; at: number } | null = null;
	private seq = 0;
	private split = false;
	/** Both nodes were MASTER at some moment and the peer has not left MASTER since. */
	private bothSeen = false;
	private vrrp = { at: -Infinity, packets: null as number | null, heard: false };
	private configStamp = '';
	private busy = false;
	private again = false;
	private trackChecked = { key: '', at: -Infinity };
	/** Since when both nodes have been MASTER (monotonic), or null. */
	private bothSince: number | null = null;
	/** The peer's heartbeat number when both became MASTER. */
	private seqAtBoth = Infinity;
	/** When the peer link was (re)bound: a peer not heard yet is not "silent" before PEER_SILENT_MS. */
	private boundAt = 0;
	/** Whether keepalived holds our IPv4 VIPs, from address events; null until one is seen. */
	private vipHeld: boolean | null = null;
	private readonly monitor: UplinkMonitor;

	constructor(
		private readonly rt: Runtime,
		private readonly paths: Paths,
		model: Model,
	) {
		this.model = model;
		this.link = peerLink(model);
		this.monitor = new UplinkMonitor(rt, paths, () => this.model, (level, msg) => this.log(level, msg));
	}

	private log(level: 'notice' | 'warning' | 'err' | 'info', msg: string) {
		// A long-running process: lines waiting for a `logger` (no /dev/log) must not pile up.
		void this.rt.syslog(level, `agent: ${msg}`).then(() => this.rt.flushLogs());
	}

	/** What the files say now, read once per tick or event (three small reads), with what the kernel showed. */
	private facts(): Promise<NodeFacts> {
		return nodeFacts(this.rt, this.paths, this.vipHeld);
	}

	private watchVips() {
		try {
			this.rt.watchNetlink(IPV4_ADDRESS_GROUP, (data) => {
				const vips = ipv4Vips(this.model);
				const mine = parseAddressEvents(data).filter((e) => vips.some((v) => v.address === e.address));
				if (mine.length === 0) return;
				this.vipHeld = mine[mine.length - 1]!.added;
				void this.tick();
			});
		} catch (e) {
			this.log('warning', `no address events (${(e as Error).message.split('\n')[0]}): roles come from the notify hook only`);
		}
	}

	async start(): Promise<never> {
		this.configStamp = await this.stamp();
		this.watchVips();
		// Several WANs: the uplinks' health monitor runs beside the heartbeat, on the model the agent
		// reloads (idle without uplink sections). docs/decisions.md "Several WANs: the health monitor".
		void this.monitor.run();
		await this.bind();
		void this.healthLoop();
		let lastConfig = this.rt.now();
		for (;;) {
			await this.tick();
			if (this.rt.now() - lastConfig >= CONFIG_CHECK_MS) {
				lastConfig = this.rt.now();
				await this.reloadIfChanged();
			}
			await this.rt.sleep(HEARTBEAT_MS);
		}
	}

	/** The balanced services' health check (src/exec/service-health.ts), each service every check_interval. */
	private async healthLoop(): Promise<never> {
		const due = new Map<string, number>();
		for (;;) {
			const now = this.rt.now();
			const checked = this.model.services.filter((s) => s.check === 'tcp' && s.balancer === 'nft' && (due.get(s.name) ?? 0) <= now);
			if (checked.length) {
				for (const s of checked) due.set(s.name, now + s.checkIntervalS * 1000);
				try {
					const current = await readDown(this.rt, this.paths);
					const next: Record<string, readonly string[]> = {};
					for (const s of this.model.services) if (s.check === 'tcp' && s.balancer === 'nft' && current[s.name]?.length) next[s.name] = current[s.name]!;
					await Promise.all(
						checked.map(async (s) => {
							const down = await probeService(this.rt, s);
							if (down.length) next[s.name] = down;
							else delete next[s.name];
						}),
					);
					for (const line of await updateDown(this.rt, this.model, this.paths, next)) this.log('notice', line);
				} catch (e) {
					this.log('warning', `service health check: ${(e as Error).message.split('\n')[0]}`);
				}
			}
			await this.rt.sleep(200);
		}
	}

	private async stamp(): Promise<string> {
		const files = ['ha-router', 'network'].map((f) => `${this.paths.configDir}/${f}`);
		const st = await Promise.all(files.map((f) => this.rt.stat(f)));
		return st.map((s) => `${s?.mtimeMs ?? 0}:${s?.size ?? 0}`).join(',');
	}

	private async reloadIfChanged() {
		const stamp = await this.stamp();
		if (stamp === this.configStamp) return;
		this.configStamp = stamp;
		try {
			const model = await loadNode(this.rt, this.paths);
			const link = peerLink(model);
			const rebind = JSON.stringify(link) !== JSON.stringify(this.link);
			this.model = model;
			this.link = link;
			if (rebind) await this.bind();
			this.log('info', 'configuration reloaded');
		} catch {
			this.log('warning', 'the configuration is invalid; keeping the last good one');
		}
	}

	private async bind() {
		this.sock?.close();
		this.sock = null;
		this.peer = null;
		this.boundAt = this.rt.now();
		if (!this.link) {
			this.log('notice', 'no peer address (sync peer or unicast VRRP peer): no heartbeats, no split-brain guard');
			return;
		}
		// The address may not be up yet at boot: retry every second, heartbeats wait.
		for (;;) {
			try {
				this.sock = await this.rt.bindUdp(this.link.local, PEER_PORT);
				break;
			} catch (e) {
				this.log('warning', `cannot listen on ${this.link.local} UDP ${PEER_PORT} (${(e as Error).message.split('\n')[0]}); retrying`);
				await this.rt.sleep(1000);
			}
		}
		void this.receive(this.sock, this.link);
		this.log('info', `listening on ${this.link.local} UDP ${PEER_PORT}, peer ${this.link.peer}`);
	}

	private async receive(sock: Udp, link: PeerLink) {
		for (;;) {
			const d = await sock.receive();
			if (d === null) return;
			const m = decodeMessage(d.data);
			if (d.address === link.local && m?.t === 'poke') {
				// Our hook: keepalived announced a state. Tell the peer and judge now.
				await this.tick();
				continue;
			}
			if (d.address === link.local && m?.t === 'pq') {
				// Our hook asks what we last heard from the peer (answered from memory: no wait on a dead peer).
				const view = { t: 'pv' as const, id: m.id, hb: this.peer?.hb ?? null, ageMs: this.peer ? Math.round(this.rt.now() - this.peer.at) : null };
				await sock.send(encodeMessage(view), d.address, d.port).catch(() => undefined);
				continue;
			}
			if (d.address !== link.peer) continue;
			if (m?.t === 'hb') {
				const was = this.peer?.hb.role;
				this.peer = { hb: m, at: this.rt.now() };
				if (m.links) this.monitor.setPeerStates(m.links);
				if (was !== m.role) {
					// A change of the peer's role is judged at once, and answered with our own heartbeat:
					// a peer that just became MASTER learns from it that this node is alive (a crashed node's
					// last heartbeat never proves a split brain).
					await this.tick();
					if (was === 'MASTER' && this.bothSeen) void this.reannounce();
				} else if (this.bothSince !== null) {
					await this.judge();
				}
			} else if (m?.t === 'q') {
				void this.answer(sock, d.address, d.port, m.id, m.full);
			}
		}
	}

	private async answer(sock: Udp, address: string, port: number, id: string, full: boolean) {
		const platform = full ? await openPlatform(this.rt, this.model, this.paths).catch(() => null) : null;
		try {
			// The kernel may show a change the hook has not announced yet: the agent's facts, not the files alone.
			const state = await localState(this.rt, this.model, this.paths, platform, await this.facts());
			await sock.send(encodeMessage({ t: 'r', id, state }), address, port).catch(() => undefined);
		} finally {
			platform?.close();
		}
	}

	private async tick() {
		const f = await this.facts();
		const d = f.demotion;
		// Whatever rewrote the track file (keepalived's init_file at its start), it says what the demotion means:
		// looked at every few seconds, and at once when the demotion changed.
		const key = JSON.stringify(d);
		if (key !== this.trackChecked.key || this.rt.now() - this.trackChecked.at >= TRACK_CHECK_MS) {
			this.trackChecked = { key, at: this.rt.now() };
			if (await syncTrackFile(this.rt, this.paths, d, this.model.node.priority).catch(() => false)) this.log('info', `track file set to ${trackValue(d, this.model.node.priority)}`);
		}
		if (this.sock && this.link) {
			const links = this.monitor.probedStates();
			const hb: Heartbeat = {
				t: 'hb',
				node: this.model.node.name,
				seq: ++this.seq,
				role: f.role,
				settled: f.settled,
				priority: effectivePriority(this.model.node.priority, trackValue(d, this.model.node.priority)),
				address: this.link.local,
				demoted: demotionReason(d),
				...(Object.keys(links).length > 0 ? { links } : {}),
			};
			await this.sock.send(encodeMessage(hb), this.link.peer, PEER_PORT).catch(() => undefined);
		}
		await this.judge(f);
	}

	/** Two adverts of the slowest instance and a little: longer than any handover's double master. */
	private graceMs(): number {
		return 2 * Math.max(0, ...this.model.groups.map((g) => g.advertIntMs)) + 50;
	}

	/** Were VRRP adverts from the peer counted since the last look (at most once a second)? */
	private async vrrpHeard(): Promise<boolean> {
		if (this.rt.now() - this.vrrp.at < VRRP_CHECK_MS) return this.vrrp.heard;
		this.vrrp.at = this.rt.now();
		const r = await run(this.rt, ['nft', 'list', 'chain', 'inet', 'ha_router', 'input'], { okCodes: [0, 1], timeoutMs: 3000 }).catch(() => null);
		const packets = r && r.code === 0 ? vrrpPackets(r.stdout) : null;
		// Every load of our table makes its counters start again: fewer than before is a new count,
		// and any packet in it was heard.
		const before = this.vrrp.packets;
		this.vrrp.heard = packets !== null && before !== null && (packets > before || (packets < before && packets > 0));
		this.vrrp.packets = packets;
		return this.vrrp.heard;
	}

	/** Two masters ended with the peer stepping down: point hosts and the ISP's switch back here. */
	private async reannounce() {
		this.bothSeen = false;
		if ((await this.facts()).role !== 'MASTER') return;
		const items = ipv4Vips(this.model);
		const lease = this.model.wan ? (await wanPartLease(this.rt, this.paths))?.split('/')[0] : undefined;
		if (this.model.wan && lease) items.push({ device: this.model.wan.device, address: lease });
		const sent = await announce(this.rt, items);
		this.log('notice', `split brain over: the peer left MASTER; ${sent} gratuitous ARP${sent === 1 ? '' : 's'} sent`);
		await this.rt.sleep(200);
		await announce(this.rt, items);
	}

	private async judge(known?: NodeFacts): Promise<void> {
		// One judgement at a time; one asked for meanwhile runs right after, on fresh facts.
		if (this.busy) {
			this.again = true;
			return;
		}
		this.busy = true;
		this.again = false;
		try {
			const f = known ?? (await this.facts());
			const d = f.demotion;
			const demotedSince = d.splitBrain?.since ?? null;
			// Just (re)started while stepped down: wait for the peer's heartbeat before deciding anything.
			if (demotedSince !== null && this.peer === null && this.rt.now() - this.boundAt < PEER_SILENT_MS) return;
			const verdict = judgeSplit({
				now: this.rt.now(),
				wallNow: this.rt.wallClock(),
				role: f.role,
				priority: effectivePriority(this.model.node.priority, trackValue(d, this.model.node.priority)),
				address: this.link?.local ?? '',
				peer: this.peer,
				silentMs: PEER_SILENT_MS,
				demotedSince,
				vrrpHeard: demotedSince === null ? false : await this.vrrpHeard(),
				dampingMs: this.model.node.splitBrainDampingS * 1000,
				bothMasterSince: this.bothSince,
				graceMs: this.graceMs(),
				peerHeardSinceBoth: this.peer !== null && this.peer.hb.seq > this.seqAtBoth,
			});
			if (!verdict.both) this.bothSince = null;
			else if (this.bothSince === null) {
				// Two masters just now: a handover in flight settles within an advert or two. Look again after
				// the grace; a split brain also needs a heartbeat the peer sends from now on.
				this.bothSince = this.rt.now();
				this.seqAtBoth = this.peer?.hb.seq ?? Infinity;
				void this.rt.sleep(this.graceMs() + 5).then(() => this.judge());
			}
			const prio = this.model.node.priority;
			if (verdict.split && !this.split) {
				const peer = this.peer!.hb;
				this.log('warning', `split brain: this node and ${peer.node} are both MASTER (VRRP adverts do not arrive; the peer link works)`);
				await updateDemotion(this.rt, this.paths, prio, (x) => ({ ...x, splitBrains: x.splitBrains + 1, lastSplitBrain: this.rt.wallClock() }));
			}
			this.split = verdict.split;
			// Not only a confirmed split brain: the peer may step down before our own grace ends, and
			// its GARPs must be answered all the same.
			if (verdict.both) this.bothSeen = true;
			if (verdict.action === 'step-down') {
				this.log('warning', `split brain: stepping down to FAULT: ${verdict.why}`);
				await updateDemotion(this.rt, this.paths, prio, (x) => ({ ...x, splitBrain: { since: this.rt.wallClock() } }));
				this.vrrp = { at: -Infinity, packets: null, heard: false };
			} else if (verdict.action === 'step-up') {
				this.log('notice', `split brain over: taking part in VRRP again: ${verdict.why}`);
				await updateDemotion(this.rt, this.paths, prio, (x) => ({ ...x, splitBrain: null }));
			}
		} finally {
			this.busy = false;
		}
		if (this.again) await this.judge();
	}
}

export const agent: Command = {
	name: 'agent',
	summary: 'the resident peer agent: heartbeats, split-brain guard, answers the peer (run by procd)',
	usage: `Usage: ha-router agent [--root DIR] [--config DIR]

Runs until killed, on both nodes (procd instance "agent" of /etc/init.d/ha-router). Every 500 ms it
sends a heartbeat to the peer on the peer link (the sync link's peer, else the first unicast VRRP
peer; UDP ${PEER_PORT}), answers the peer's queries (switchover preflight, status), and steps this
node down to FAULT in a split brain when the peer is preferred (docs/decisions.md "Split brain").
`,
	async run(rt, argv) {
		const args = parseArgs('agent', argv, [], NODE_OPTIONS);
		if (args.positional.length) throw new UsageError(`agent: unexpected argument '${args.positional[0]}'`);
		const paths = nodePaths(rt, args);
		const model = await loadNode(rt, paths);
		await rt.makeDir(paths.runDir);
		return new Agent(rt, paths, model).start();
	},
};
