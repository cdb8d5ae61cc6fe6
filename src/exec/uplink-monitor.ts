// The uplinks' health monitor (issue 14), run inside the resident agent (src/cli/agent.ts): every
// uplink with track_ip targets is probed on its own schedule (probe_interval) with one probe per
// target from the uplink's own address (ICMP echo, TCP connect or DNS query, in process:
// src/exec/uplink-probes.ts), so our output chain (map uplink_local) routes it by the uplink's
// table and never by the main default route. A state change (pure rules: src/plan/uplink-health.ts)
// is logged and applied as ONE nft transaction over the choice maps' elements
// (renderUplinkMapUpdate); the status file /var/run/ha-router/uplinks.json is rewritten every round
// for `ha-router uplinks` and for any later load of our table (which then carries the same health).
import type { Paths } from '../model/paths.ts';
import type { Model, Uplink } from '../model/types.ts';
import { type LinkHealth, type Round, type UplinkState, adoptPeerState, avoidedLinks, initialHealth, isUplinkState, lossPercent, meanRtt, stepHealth } from '../plan/uplink-health.ts';
import { renderNft } from '../render/nft.ts';
import { aliveLinks, allDeadSentence, renderUplinkMapUpdate } from '../render/uplinks.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { addresses } from '../system/iproute.ts';
import { nftApply } from '../system/nft.ts';
import { withLock } from './lock.ts';
import { nftLock, readDown } from './service-health.ts';
import { bestKnownLease, loadNftTable } from './system-effects.ts';
import { dropUnansweredAttempts, readUplinkFacts, uplinkStatusPath } from './uplinks.ts';
import { readJson } from './read-json.ts';
import { ProbeSockets, probeTarget } from './uplink-probes.ts';

/** How often a link's address is read again (a DHCP uplink may change it); without one, more often
 * (the shared WAN gets its lease at a takeover, a DHCP uplink at boot). */
const ADDRESS_REFRESH_MS = 5000;
const NO_ADDRESS_REFRESH_MS = 1000;

/** One link in `ha-router uplinks --json` and in the status file. */
export interface UplinkStatus {
	readonly name: string;
	readonly device: string;
	readonly state: UplinkState;
	/** Wall clock ms since the state holds (or since the monitor started). */
	readonly since: number;
	readonly rttMs: number | null;
	/** Mean RTT and loss over the last LOSS_WINDOW rounds. */
	readonly meanRttMs: number | null;
	readonly lossPercent: number | null;
	readonly weight: number;
	readonly tier: number;
	/** Whether it takes new balanced connections now (alive; degraded with none alive; or everything is dead). */
	readonly inUse: boolean;
	readonly probed: boolean;
	/** Why it is not probed (no track_ip, no address), or null. */
	readonly note: string | null;
}

export interface UplinkStatusDoc {
	readonly updated: number;
	/** Every uplink is dead: all stay in the balance and the main table keeps its default route. */
	readonly allDead: boolean;
	readonly links: Readonly<Record<string, UplinkStatus>>;
}

interface Slot {
	health: LinkHealth;
	due: number;
	running: boolean;
	address: string | null;
	addressAt: number;
	/** The uplink's ICMP socket, for its current address. */
	readonly sockets: ProbeSockets;
	/** The last round's failure, logged once. */
	failure: string | null;
}

export class UplinkMonitor {
	private readonly slots = new Map<string, Slot>();
	/** The avoided set last written into the kernel's maps, joined (null: not yet, or the write failed: retry). */
	private applied: string | null = null;
	/** The links of the last avoided set written: a link new in it has its connection attempts forgotten. */
	private avoided: readonly string[] = [];
	/** The states the peer's monitor last reported for the links it probes (its heartbeat). */
	private peerStates: Readonly<Record<string, UplinkState>> = {};

	constructor(
		private readonly rt: Runtime,
		private readonly paths: Paths,
		private readonly model: () => Model,
		private readonly log: (level: 'notice' | 'warning' | 'err' | 'info', msg: string) => void,
	) {}

	async run(): Promise<never> {
		// A restarted agent starts from the verdicts it last wrote, which the kernel's maps still hold:
		// "all alive" would put a dead link back into the balance until `down` rounds found it again.
		const last = await readJson<UplinkStatusDoc>(this.rt, uplinkStatusPath(this.paths));
		const seeds = new Map(Object.values(last?.links ?? {}).filter((l) => isUplinkState(l?.state) && typeof l.since === 'number').map((l) => [l.name, l] as const));
		const carried = [...seeds.values()].filter((l) => l.state !== 'alive');
		if (carried.length > 0) this.log('notice', `uplink monitor: starting from the last verdicts (${carried.map((l) => `${l.name} ${l.state}`).join(', ')})`);
		for (;;) {
			const links = this.model().uplinks?.links ?? [];
			for (const [name, s] of this.slots) {
				if (links.some((l) => l.name === name)) continue;
				s.sockets.close();
				this.slots.delete(name);
			}
			const now = this.rt.now();
			let next = now + 1000;
			for (const l of links) {
				let s = this.slots.get(l.name);
				if (!s) {
					const seed = seeds.get(l.name);
					seeds.delete(l.name);
					// Not probed until its first round: the heartbeat reports only what this node's probes decided.
					const health = { ...(seed ? initialHealth(seed.since, seed.state) : initialHealth(this.rt.wallClock())), unprobed: 'not probed yet' };
					s = { health, due: now, running: false, address: null, addressAt: -Infinity, sockets: new ProbeSockets(), failure: null };
					this.slots.set(l.name, s);
				}
				if (!s.running && now >= s.due) {
					s.running = true;
					s.due = now + l.health.intervalMs;
					void this.round(l, s);
				}
				next = Math.min(next, s.due);
			}
			await this.rt.sleep(Math.max(10, next - this.rt.now()));
		}
	}

	/** From the peer's heartbeat: its own verdicts on the links it probes. */
	setPeerStates(states: Readonly<Record<string, UplinkState>>): void {
		this.peerStates = states;
	}

	/** For our heartbeat: the verdicts of this node's own probes (a link it cannot probe is left out). */
	probedStates(): Record<string, UplinkState> {
		return Object.fromEntries([...this.slots].filter(([, s]) => s.health.unprobed === null).map(([name, s]) => [name, s.health.state]));
	}

	private async round(l: Uplink, s: Slot): Promise<void> {
		try {
			const r = await this.probe(l, s);
			const now = this.rt.wallClock();
			const was = s.health;
			const peer = this.peerStates[l.name];
			// A link this node cannot probe (the shared WAN of a standby) follows the peer's verdict, so a
			// new master starts from what the old one knew, not from "all alive".
			const { next, changed } = r.kind === 'unprobed' && peer !== undefined ? adoptPeerState(s.health, peer, r.why, now) : stepHealth(s.health, r, l.health, now);
			s.health = next;
			if (changed) this.logChange(l, was, next, r.kind === 'unprobed');
			await this.publish(changed);
			s.failure = null;
		} catch (e) {
			// Once per failure, not every round (5 a second by default).
			const why = (e as Error).message.split('\n')[0]!;
			if (why !== s.failure) this.log('err', `uplink ${l.name}: probe round failed: ${why}`);
			s.failure = why;
		} finally {
			s.running = false;
		}
	}

	private logChange(l: Uplink, was: LinkHealth, next: LinkHealth, fromPeer: boolean): void {
		const level = next.state === 'alive' ? 'notice' : 'warning';
		const head = `uplink ${l.name} (${l.device}): ${next.state}`;
		const measured = `loss ${lossPercent(next) ?? '-'} %, mean RTT ${meanRtt(next) ?? '-'} ms, last RTT ${next.rttMs ?? '-'} ms`;
		if (fromPeer) this.log(level, `${head} as the peer last saw it (not probed here: ${next.unprobed})`);
		else if (next.state === 'dead') this.log(level, `${head} after ${next.bad} lost probe rounds in a row (${measured})`);
		else if (was.state === 'dead') this.log(level, `${head} after ${next.good} answered probe rounds in a row (${measured})`);
		else if (next.state === 'degraded') this.log(level, `${head}: ${next.poor} probe rounds in a row over its limits (${measured}; max_loss ${l.health.maxLoss ?? '-'} %, max_rtt ${l.health.maxRttMs ?? '-'} ms)`);
		else this.log(level, `${head} after ${next.fine} probe rounds in a row within its limits (${measured})`);
	}

	private async probe(l: Uplink, s: Slot): Promise<Round> {
		if (l.health.targets.length === 0) return { kind: 'unprobed', why: 'no track_ip: always counted alive' };
		if (this.rt.now() - s.addressAt >= (s.address === null ? NO_ADDRESS_REFRESH_MS : ADDRESS_REFRESH_MS)) {
			const was = s.address;
			s.address = (await addresses(this.rt, l.device).catch(() => [])).find((a) => a.family === 4)?.local ?? null;
			// A DHCP uplink with a new address (not the first look): its SNAT, source map and route follow.
			if (s.addressAt !== -Infinity && s.address !== was && s.address !== null) {
				this.log('notice', `uplink ${l.name} (${l.device}): address ${was ?? 'none'} -> ${s.address}: reloading our table and its routes`);
				await loadNftTable(this.rt, this.model(), this.paths).catch((e: Error) => this.log('err', `uplink ${l.name}: reload failed: ${e.message.split('\n')[0]}`));
			}
			s.addressAt = this.rt.now();
		}
		if (s.address === null) {
			s.sockets.close();
			return { kind: 'unprobed', why: `no IPv4 address on ${l.device}` };
		}
		const h = l.health;
		const opts = { size: h.size, port: h.port, timeoutMs: h.intervalMs };
		const rtts = await Promise.all(h.targets.map((t) => probeTarget(this.rt, h.method, s.address!, t, opts, s.sockets)));
		const answered = rtts.filter((x): x is number => x !== null);
		return answered.length > 0 ? { kind: 'answered', rttMs: Math.min(...answered) } : { kind: 'lost' };
	}

	/** The status file every round; on a change of the dead set, the choice maps in one nft transaction. */
	private async publish(changed: boolean): Promise<void> {
		const model = this.model();
		const u = model.uplinks;
		if (!u) return;
		const states = Object.fromEntries(u.links.map((l) => [l.name, this.slots.get(l.name)?.health.state ?? 'alive'] as const));
		const dead = avoidedLinks(states);
		const { links: usable, allDead } = aliveLinks(u, dead);
		const key = dead.join(',');
		const doc: UplinkStatusDoc = {
			updated: this.rt.wallClock(),
			allDead,
			links: Object.fromEntries(
				u.links.map((l) => {
					const h = this.slots.get(l.name)?.health ?? initialHealth(this.rt.wallClock());
					const status: UplinkStatus = { name: l.name, device: l.device, state: h.state, since: h.since, rttMs: h.rttMs, meanRttMs: meanRtt(h), lossPercent: lossPercent(h), weight: l.weight, tier: l.tier, inUse: usable.includes(l), probed: h.unprobed === null, note: h.unprobed && (this.peerStates[l.name] ? `${h.unprobed}; state as the peer last saw it` : h.unprobed) };
					return [l.name, status];
				}),
			),
		};
		const path = uplinkStatusPath(this.paths);
		if (!changed && this.applied === key) {
			await this.rt.writeFileAtomic(path, `${JSON.stringify(doc)}\n`, 0o644, false);
			return;
		}
		if (changed && allDead) this.log('warning', allDeadSentence(u));
		// Under the lock every load of our table takes: the file, the maps and table.nft agree. The
		// status file follows the maps, so what it says is in effect.
		const before = this.avoided;
		await withLock(this.rt, nftLock(this.paths), async () => {
			try {
				await nftApply(this.rt, renderUplinkMapUpdate(model, dead));
				this.applied = key;
				this.avoided = dead;
			} catch (e) {
				this.applied = null;
				this.log('err', `uplink weights not applied (retrying next round): ${(e as Error).message.split('\n')[0]}`);
				return;
			} finally {
				await this.rt.writeFileAtomic(path, `${JSON.stringify(doc)}\n`, 0o644, false);
			}
			// fw4 reloads our table from table.nft: keep it in step with the maps, without loading it again.
			const lease = await bestKnownLease(this.rt, model, this.paths);
			const facts = await readUplinkFacts(this.rt, model, this.paths);
			const down = model.services.length ? await readDown(this.rt, this.paths) : {};
			await this.rt.writeFileAtomic(this.paths.nftLoaded, renderNft(model, { wanAddress: lease?.address.address ?? null, down, uplinks: facts }), 0o644, false);
		});
		// Outside the lock (conntrack is not our table): the links just taken out of the balance.
		if (this.avoided !== dead || allDead) return;
		for (const l of u.links.filter((x) => dead.includes(x.name) && !before.includes(x.name))) {
			const n = await dropUnansweredAttempts(this.rt, l);
			if (n) this.log('notice', `uplink ${l.name}: ${n} connection attempt${n === 1 ? '' : 's'} still unanswered on it forgotten: their next SYN takes an alive uplink`);
		}
	}
}
