// A drain in force: its rules (render/drain.ts) in the kernel and drain.json beside them under
// /var/run/ha-router, so both end with a reboot. It ends with `drain off`, with any role change
// (the hook) and with apply; `endDrain` is the one way out for all three.
import type { Paths } from '../model/paths.ts';
import type { Cidr } from '../model/types.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { inSubnet, parseIpv4 } from '../config/ip.ts';
import { DRAIN_FAMILY, DRAIN_TABLE, renderDrain, type DrainTarget } from '../render/drain.ts';
import { nftApply, nftDeleteTable, nftListTable } from '../system/nft.ts';
import { run } from '../system/run.ts';
import { readJson } from './read-json.ts';

export interface DrainState {
	/** Wall-clock ms when the drain began. */
	readonly since: number;
	readonly peer: string;
	readonly targets: readonly DrainTarget[];
	/** The drained client subnets (the VRRP instances' own subnets). */
	readonly subnets: readonly Cidr[];
	/** The peer's own IPv4 addresses: the reply address of every connection it serves. */
	readonly peerAddresses: readonly string[];
}

const file = (paths: Paths) => `${paths.runDir}/drain.json`;

export async function readDrain(rt: Runtime, paths: Paths): Promise<DrainState | null> {
	return readJson<DrainState>(rt, file(paths));
}

/** Loads the rules (one transaction), then records the drain. */
export async function startDrain(rt: Runtime, paths: Paths, state: DrainState): Promise<void> {
	await nftApply(rt, renderDrain(state.targets, state.peerAddresses));
	await rt.writeFileAtomic(file(paths), `${JSON.stringify(state)}\n`, 0o644, false);
}

/**
 * Removes the rules and the record; false when no drain was in force. `why` goes to syslog. The
 * hook looks for the record only (no nft run on the way to a new role when there is no drain);
 * `always` (apply, teardown) also removes a table whose record is gone.
 */
export async function endDrain(rt: Runtime, paths: Paths, why: string, always = false): Promise<boolean> {
	const recorded = (await rt.stat(file(paths))) !== null;
	if (!recorded && !always) return false;
	const loaded = await nftDeleteTable(rt, DRAIN_FAMILY, DRAIN_TABLE);
	if (recorded) await rt.remove(file(paths));
	if (!recorded && !loaded) return false;
	await rt.syslog('notice', `drain ended: ${why}`);
	return true;
}

/** Packets copied to the peer and dropped here so far, from the rules' counters (null without the table). */
export async function mirroredPackets(rt: Runtime): Promise<number | null> {
	// Text, not -j: OpenWrt's nftables-nojson has no JSON output.
	const listing = await nftListTable(rt, DRAIN_FAMILY, DRAIN_TABLE).catch(() => null);
	if (listing === null) return null;
	return [...listing.matchAll(/counter packets (\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** TCP states in which a connection has not yet closed (TIME_WAIT and CLOSE have). */
const OPEN_TCP = new Set(['SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'SYN_SENT2']);

/**
 * Open TCP connections this node forwards for the drained subnets (pure), from `conntrack -L -p
 * tcp` lines: the original source inside one of `subnets`, the destination not one of this
 * node's own addresses (a client's session with the router itself is not forwarded), the reply
 * address not one of the peer's (the peer serves those; the sync only copied them here).
 */
export function openConnections(text: string, subnets: readonly Cidr[], local: ReadonlySet<string>, peer: ReadonlySet<string>): number {
	let n = 0;
	for (const line of text.split('\n')) {
		const m = /^tcp\s+6\s+\d+\s+([A-Z_0-9]+)\s+src=(\S+) dst=(\S+) .*?\bsrc=\S+ dst=(\S+)/.exec(line);
		if (!m || !OPEN_TCP.has(m[1]!) || local.has(m[3]!) || peer.has(m[4]!)) continue;
		const src = parseIpv4(m[2]!);
		if (src && subnets.some((s) => inSubnet(src, s))) n++;
	}
	return n;
}

/** The same count from the kernel's table now. */
export async function countOpen(rt: Runtime, subnets: readonly Cidr[], local: ReadonlySet<string>, peer: ReadonlySet<string>): Promise<number> {
	// conntrack -L exits 0 with an empty table; its summary line goes to stderr.
	const r = await run(rt, ['conntrack', '-L', '-f', 'ipv4', '-p', 'tcp'], { timeoutMs: 10_000 });
	return openConnections(r.stdout, subnets, local, peer);
}
