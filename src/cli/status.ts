// `ha-router status`: what this node is doing now, gathered read-only. Every probe may fail on
// its own; a failed probe becomes a warning, never an error exit.
import type { Runtime } from '../runtime/runtime.ts';
import { ExitError } from '../errors.ts';
import type { Paths } from '../model/paths.ts';
import type { Model } from '../model/types.ts';
import { readKnownLease } from '../exec/lease-store.ts';
import { readNodeState } from '../exec/run-transition.ts';
import { conntrackd } from '../system/conntrackd.ts';
import { ipJson } from '../system/iproute.ts';
import { nftListTable } from '../system/nft.ts';
import type { Platform } from '../system/platform.ts';
import { withTimeout } from '../util/with-timeout.ts';
import { readDemotion, readTrackValue } from '../exec/demotion.ts';
import { readDrain } from '../exec/drain.ts';
import { readJson } from '../exec/read-json.ts';
import type { UplinkStatusDoc } from '../exec/uplink-monitor.ts';
import { uplinkStatusPath } from '../exec/uplinks.ts';
import { allDeadSentence } from '../render/uplinks.ts';
import { queryPeer } from '../peer/client.ts';
import { effectivePriority } from '../peer/local-state.ts';
import { peerLink } from '../peer/protocol.ts';
import { parseArgs } from './args.ts';
import type { Command } from './command.ts';
import { NODE_OPTIONS, nodePaths } from './context.ts';
import { loadNode, openPlatform, pairDaemons } from './node.ts';

const PROBE_MS = 3000;

async function probe<T>(what: string, warnings: string[], p: Promise<T>): Promise<T | null> {
	try {
		return await withTimeout(p, PROBE_MS, 'no answer');
	} catch (e) {
		warnings.push(`${what}: ${(e as Error).message}`);
		return null;
	}
}

/** A wall-clock time as "YYYY-MM-DD HH:MM:SS" (UTC). */
function clock(ms: number): string {
	return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

function age(ms: number): string {
	const s = Math.max(0, Math.round(ms / 1000));
	if (s < 120) return `${s}s`;
	if (s < 7200) return `${Math.floor(s / 60)}m${s % 60}s`;
	return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

export async function gatherStatus(rt: Runtime, model: Model, paths: Paths, platform: Platform) {
	const warnings: string[] = [];
	const now = rt.wallClock();
	const state = await readNodeState(rt, paths.stateFile);
	const lease = await readKnownLease(rt, paths);
	const role = state?.role ?? null;

	const peers = await Promise.all(
		model.groups.flatMap((g) =>
			g.unicastPeers.map(async (address) => {
				const n = await probe(`neighbour ${address}`, warnings, ipJson<{ state?: string[] }>(rt, ['neigh', 'show', address, 'dev', g.device]));
				return { group: g.name, address, neighbour: n?.[0]?.state?.join(',') ?? 'unknown' };
			}),
		),
	);
	const wan = model.wan ? await probe('wan', warnings, platform.wanStatus(model.wan)) : null;
	const table = await probe('nft', warnings, nftListTable(rt, 'inet', 'ha_router'));
	const snat = table === null ? null : (/snat ip6? to ([0-9a-f.:]+)/.exec(table)?.[1] ?? null);
	const services: Record<string, boolean | null> = {};
	for (const s of model.node.services) {
		if ((await probe(`service ${s}`, warnings, platform.serviceInstalled(s))) === false) warnings.push(`role service ${s} is not installed: transitions skip it`);
		else services[s] = await probe(`service ${s}`, warnings, platform.serviceRunning(s));
	}
	// The daemons the pair runs on: procd's own view of them (service list).
	const daemons: Record<string, { running: boolean; pid: number | null } | null> = {};
	for (const d of pairDaemons(model)) {
		const inst = await probe(d, warnings, platform.serviceInstances(d));
		daemons[d] = inst === null ? null : { running: inst.some((i) => i.running), pid: inst.find((i) => i.running)?.pid ?? null };
		if (model.node.enabled && daemons[d]?.running === false) warnings.push(`${d} is not running: ${d === 'keepalived' ? 'this node takes no part in VRRP' : 'connections are not synchronised'} (ha-router apply starts it)`);
	}
	const demotion = await readDemotion(rt, paths);
	const drain = await readDrain(rt, paths);
	// Several WANs: the health monitor's last round (ha-router uplinks shows it whole).
	const uplinkDoc = model.uplinks ? await readJson<UplinkStatusDoc>(rt, uplinkStatusPath(paths)) : null;
	if (uplinkDoc?.allDead && model.uplinks) warnings.push(allDeadSentence(model.uplinks));
	for (const l of Object.values(uplinkDoc?.links ?? {})) {
		if (l.state === 'alive' || uplinkDoc?.allDead) continue;
		warnings.push(`uplink ${l.name} is ${l.state} since ${clock(l.since)}: ${l.inUse ? 'it takes new connections all the same: no uplink is fully alive' : 'it takes no new connections'}`);
	}
	if (drain) warnings.push(`draining since ${clock(drain.since)}: new connections from the LAN go to ${drain.peer} ('ha-router drain status' counts what is left, 'ha-router drain off' ends it)`);
	const track = await readTrackValue(rt, paths);
	const link = peerLink(model);
	// The peer's own view, over the peer link (its agent answers from files: no process runs there).
	const peerNow = link ? await queryPeer(rt, link, 600, false).catch(() => null) : null;
	if (link && !peerNow) warnings.push(`the peer's agent (${link.peer} UDP 4853) does not answer: no split-brain guard, no switchover`);
	if (demotion.switchover) warnings.push(`demoted by a switchover since ${clock(demotion.switchover.since)}: 'ha-router switchover --back' restores the priority`);
	if (demotion.splitBrain) warnings.push(`stepped down (FAULT) in a split brain since ${clock(demotion.splitBrain.since)}: the peer is MASTER and preferred`);
	if (role === 'MASTER' && peerNow?.role === 'MASTER') warnings.push(`split brain: ${peerNow.node} is MASTER too`);
	const caches = model.sync ? await probe('conntrackd', warnings, conntrackd(rt, paths.conntrackdConf).cacheCounts()) : null;

	if (role === 'MASTER' && model.wan && wan && !wan.up) warnings.push('MASTER but the shared WAN is down');
	if (role !== null && role !== 'MASTER' && wan?.up) warnings.push(`${role} but the shared WAN is up: two nodes may use the shared MAC`);
	for (const [s, running] of Object.entries(services)) {
		if (role === 'MASTER' && running === false) warnings.push(`MASTER but ${s} is not running`);
		if (role !== null && role !== 'MASTER' && running === true) warnings.push(`${role} but ${s} is running`);
	}
	if (role === 'MASTER' && model.wan && lease && table !== null && snat !== lease.address.address) warnings.push(`SNAT address ${snat ?? 'none'} is not the lease ${lease.address.address}`);
	if (table === null && model.node.enabled) warnings.push('table inet ha_router is not loaded');
	for (const p of peers) if (p.neighbour.includes('FAILED')) warnings.push(`peer ${p.address} does not answer ARP/ND`);
	const steps = state?.transition.steps ?? [];
	const failed = steps.filter((s) => s.status === 'failed' || s.status === 'skipped');
	if (failed.length) warnings.push(`last transition: ${failed.map((s) => `${s.kind}${s.target ? `(${s.target})` : ''} ${s.status}${s.error ? `: ${s.error}` : ''}`).join('; ')}`);

	return {
		node: { name: model.node.name, enabled: model.node.enabled, priority: model.node.priority, effectivePriority: effectivePriority(model.node.priority, track), platform: platform.name, transport: platform.transport },
		role,
		since: state ? state.since : null,
		vrrp: model.groups.map((g) => ({ name: g.name, device: g.device, vrid: g.vrid, version: g.version, advertIntMs: g.advertIntMs, vips: g.vips.map((v) => `${v.address}/${v.prefix}`) })),
		peers,
		demoted: demotion.splitBrain ? { reason: 'split-brain', since: demotion.splitBrain.since } : demotion.switchover ? { reason: 'switchover', since: demotion.switchover.since } : null,
		splitBrain: { count: demotion.splitBrains, last: demotion.lastSplitBrain },
		drain: drain ? { since: drain.since, peer: drain.peer, targets: drain.targets } : null,
		uplinks: uplinkDoc ? { updated: uplinkDoc.updated, allDead: uplinkDoc.allDead, links: Object.values(uplinkDoc.links).map((l) => ({ name: l.name, state: l.state, since: l.since, rttMs: l.rttMs, lossPercent: l.lossPercent, weight: l.weight, inUse: l.inUse })) } : null,
		peer: link ? { address: link.peer, answers: peerNow !== null, node: peerNow?.node ?? null, role: peerNow?.role ?? null, since: peerNow?.since ?? null, priority: peerNow?.priority ?? null, demoted: peerNow?.demoted ?? null, wanHeld: peerNow?.wanHeld ?? null, lease: peerNow?.lease ?? null, conntrack: peerNow?.conntrack ?? null } : null,
		wan: model.wan ? { interface: model.wan.interface, device: model.wan.device, up: wan?.up ?? null, address: wan?.address ? `${wan.address.address}/${wan.address.prefix}` : null, gateway: wan?.gateway ?? null, uptime: wan?.uptime ?? null } : null,
		lease: lease ? { address: `${lease.address.address}/${lease.address.prefix}`, gateway: lease.gateway, ageSeconds: Math.round((now - lease.since) / 1000), leaseTime: lease.leaseTime } : null,
		snat,
		services,
		daemons,
		conntrackd: caches,
		roleChanges: state?.history ?? [],
		lastTransition: state ? { state: state.role, started: state.transition.started, ms: state.transition.ms, ok: state.transition.ok, steps: state.transition.steps, repeats: state.repeated?.count ?? 0 } : null,
		warnings,
	};
}

export type Status = Awaited<ReturnType<typeof gatherStatus>>;

export function formatStatus(s: Status, now: number): string {
	const rows: [string, string][] = [
		['node', `${s.node.name} priority ${s.node.priority}${s.node.effectivePriority !== s.node.priority ? ` (now ${s.node.effectivePriority})` : ''}${s.node.enabled ? '' : ' (disabled)'}, ${s.node.platform} via ${s.node.transport}`],
		['role', s.role ? `${s.role} since ${clock(s.since!)} (${age(now - s.since!)})` : 'none yet (no state change seen)'],
	];
	if (s.demoted) rows.push(['demoted', `${s.demoted.reason} since ${clock(s.demoted.since)} (${age(now - s.demoted.since)})`]);
	if (s.peer) rows.push(['peer node', s.peer.answers ? `${s.peer.node} ${s.peer.role ?? 'no role yet'} priority ${s.peer.priority}${s.peer.demoted ? ` (demoted: ${s.peer.demoted})` : ''} at ${s.peer.address}` : `${s.peer.address} does not answer`]);
	for (const l of s.uplinks?.links ?? []) rows.push([`uplink ${l.name}`, `${l.state}${l.inUse ? '' : ', no new connections'} since ${clock(l.since)}, RTT ${l.rttMs ?? '-'} ms, loss ${l.lossPercent ?? '-'} %, weight ${l.weight}`]);
	if (s.drain) rows.push(['drain', `new connections to ${s.drain.peer} since ${clock(s.drain.since)} (${age(now - s.drain.since)})`]);
	if (s.splitBrain.count) rows.push(['split brain', `${s.splitBrain.count} seen, last ${clock(s.splitBrain.last!)}`]);
	for (const g of s.vrrp) rows.push([`vrrp ${g.name}`, `vrid ${g.vrid} v${g.version} ${g.advertIntMs / 1000}s on ${g.device}, VIPs ${g.vips.join(' ')}`]);
	for (const p of s.peers) rows.push(['peer', `${p.address} (${p.group}) ${p.neighbour}`]);
	if (s.wan) rows.push(['wan', `${s.wan.interface} on ${s.wan.device} ${s.wan.up ? `up ${s.wan.address ?? 'no address'} via ${s.wan.gateway ?? '-'}` : s.wan.up === false ? 'down' : 'unknown'}`]);
	if (s.lease) rows.push(['lease', `${s.lease.address} via ${s.lease.gateway ?? '-'}, seen ${age(s.lease.ageSeconds * 1000)} ago`]);
	rows.push(['snat', s.snat ?? 'none']);
	const dmn = Object.entries(s.daemons).map(([n, d]) => `${n} ${d === null ? 'unknown' : d.running ? `running${d.pid ? ` (pid ${d.pid})` : ''}` : 'stopped'}`);
	if (dmn.length) rows.push(['daemons', dmn.join(', ')]);
	const svc = Object.entries(s.services).map(([n, r]) => `${n} ${r === null ? 'unknown' : r ? 'running' : 'stopped'}`);
	if (svc.length) rows.push(['services', svc.join(', ')]);
	if (s.conntrackd) rows.push(['conntrackd', `internal ${s.conntrackd.internal ?? '-'}, external ${s.conntrackd.external ?? '-'}`]);
	if (s.lastTransition) {
		const t = s.lastTransition;
		const steps = t.steps.map((x) => `${x.kind}${x.target ? `(${x.target})` : ''} ${x.status === 'ok' ? `${x.ms}ms` : x.status}`).join(', ');
		const again = t.repeats ? ` (announced again ${t.repeats} time${t.repeats === 1 ? '' : 's'} since)` : '';
		rows.push(['last', `${t.state} in ${t.ms} ms${t.ok ? '' : ' WITH ERRORS'}${steps ? `: ${steps}` : ''}${again}`]);
	}
	for (const w of s.warnings) rows.push(['warning', w]);
	const width = Math.max(...rows.map((r) => r[0].length));
	return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}\n`).join('');
}

export const status: Command = {
	name: 'status',
	summary: "this node's role, WAN, SNAT, services, sync caches and last transition",
	usage: `Usage: ha-router status [--json] [--root DIR] [--config DIR]

Read-only. --json prints one object with stable keys: node, role, since, vrrp, peers, demoted,
splitBrain, drain, uplinks (the health monitor's last round), peer (the peer's agent over the peer link), wan,
lease, snat, services, daemons, conntrackd, roleChanges (the last 10, newest first), lastTransition,
warnings.
Exit: 0 (also when services are down: that is status, not failure), 1 invalid configuration, 2 usage.
`,
	async run(rt, argv) {
		const args = parseArgs('status', argv, ['json'], NODE_OPTIONS);
		if (args.positional.length) throw new ExitError(2, `status: unexpected argument '${args.positional[0]}'`);
		const paths = nodePaths(rt, args);
		const model = await loadNode(rt, paths);
		const platform = await openPlatform(rt, model, paths);
		try {
			const s = await gatherStatus(rt, model, paths, platform);
			await rt.stdout(args.flags.has('json') ? `${JSON.stringify(s)}\n` : formatStatus(s, rt.wallClock()));
			return 0;
		} finally {
			platform.close();
		}
	},
};
