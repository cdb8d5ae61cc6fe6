// The peer link: small JSON datagrams between the two nodes' agents on the sync link (UDP 4853).
// A heartbeat says who this node is and what it does, every HEARTBEAT_MS; a query asks the
// peer's agent for the numbers a switchover checks. Only the configured peer address is heard.
import type { VrrpState } from '../model/types.ts';
import { isVrrpState } from '../plan/event.ts';
import { decodeUtf8, encodeUtf8 } from '../util/utf8.ts';
import { type UplinkState, isUplinkState } from '../plan/uplink-health.ts';

export const PEER_PORT = 4853;
/** Changes go out at once (a VIP added or removed, the hook's pokes); this is the steady beat. */
export const HEARTBEAT_MS = 500;
/** A peer not heard for this long is gone (three heartbeats). */
export const PEER_SILENT_MS = 1500;

/** Why this node's priority is lowered at run time. */
export type DemotionReason = 'switchover' | 'split-brain';

export interface Heartbeat {
	readonly t: 'hb';
	readonly node: string;
	readonly seq: number;
	/** The role keepalived last announced (null: none yet). */
	readonly role: VrrpState | null;
	/** The plan for that role has run to its end (a standby's role services are stopped). */
	readonly settled: boolean;
	/** Configured priority: the higher one is the preferred MASTER in a split brain. */
	readonly priority: number;
	/** This node's address on the peer link: the tie-break at equal priority, as VRRP does. */
	readonly address: string;
	readonly demoted: DemotionReason | null;
	/** Several WANs: its health monitor's verdict on each uplink it probes itself (absent: none, or an older peer). */
	readonly links?: Readonly<Record<string, UplinkState>>;
}

/** What a switchover's preflight needs to know about the peer. */
export interface PeerState {
	readonly node: string;
	readonly role: VrrpState | null;
	/** The transition to that role has run to its end (a standby's services are stopped). */
	readonly settled: boolean;
	/** When its recorded role began (wall-clock ms; null before the first transition or from an older peer). */
	readonly since?: number | null;
	readonly priority: number;
	readonly nopreempt: boolean;
	readonly preemptDelay: number;
	readonly demoted: DemotionReason | null;
	readonly keepalived: boolean | null;
	readonly conntrackd: boolean | null;
	/** Connections in the kernel table; conntrackd's caches when it answers. */
	readonly conntrack: { readonly kernel: number | null; readonly internal: number | null; readonly external: number | null };
	/** The WAN lease this node would put up ("a.b.c.d/p via g"), and whether it holds it now. */
	readonly lease: string | null;
	readonly wanHeld: boolean | null;
	readonly splitBrains: number;
	/** A full query only: the default route that is not the shared WAN ("dev via gateway"), the node's own way out. */
	readonly uplink?: { readonly device: string; readonly gateway: string | null } | null;
	/** A full query only: the node's IPv4 addresses ("a.b.c.d/p"), for a drain's copies. */
	readonly addresses?: readonly string[];
}

export interface Query {
	readonly t: 'q';
	readonly id: string;
	/** Also ask procd and conntrackd (processes on the peer); otherwise file reads only. */
	readonly full: boolean;
}

export interface Reply {
	readonly t: 'r';
	readonly id: string;
	readonly state: PeerState;
}

/** From this node's own hook to its agent: what it last heard from the peer. */
export interface PeerViewQuery {
	readonly t: 'pq';
	readonly id: string;
}

/** The peer's last heartbeat and how long ago it arrived (null: never heard). */
export interface PeerView {
	readonly t: 'pv';
	readonly id: string;
	readonly hb: Heartbeat | null;
	readonly ageMs: number | null;
}

/** From this node's own hook to its agent: keepalived announced a state, look now. */
export interface Poke {
	readonly t: 'poke';
}

export type PeerMessage = Heartbeat | Query | Reply | Poke | PeerViewQuery | PeerView;

const VERSION = 1;

export function encodeMessage(m: PeerMessage): Uint8Array {
	return encodeUtf8(JSON.stringify({ ha: VERSION, ...m }));
}

function isRole(v: unknown): v is VrrpState | null {
	return v === null || isVrrpState(v);
}

/** A well-formed message of our version, or null (anything else on the port is ignored). */
export function decodeMessage(data: Uint8Array): PeerMessage | null {
	let m: Record<string, unknown>;
	try {
		m = JSON.parse(decodeUtf8(data)) as Record<string, unknown>;
	} catch {
		return null;
	}
	if (typeof m !== 'object' || m === null || m.ha !== VERSION) return null;
	if (m.t === 'hb') return heartbeat(m);
	if (m.t === 'pq' && typeof m.id === 'string') return { t: 'pq', id: m.id };
	if (m.t === 'pv' && typeof m.id === 'string') {
		const hb = m.hb === null ? null : heartbeat(m.hb as Record<string, unknown>);
		if ((m.hb !== null && hb === null) || !(m.ageMs === null || typeof m.ageMs === 'number')) return null;
		return { t: 'pv', id: m.id, hb, ageMs: m.ageMs };
	}
	if (m.t === 'poke') return { t: 'poke' };
	if (m.t === 'q' && typeof m.id === 'string') return { t: 'q', id: m.id, full: m.full === true };
	if (m.t === 'r' && typeof m.id === 'string' && typeof m.state === 'object' && m.state !== null) {
		const s = m.state as PeerState;
		if (typeof s.node !== 'string' || !isRole(s.role) || typeof s.conntrack !== 'object' || s.conntrack === null) return null;
		return { t: 'r', id: m.id, state: s };
	}
	return null;
}

function heartbeat(m: Record<string, unknown> | null): Heartbeat | null {
	if (typeof m !== 'object' || m === null || m.t !== 'hb') return null;
	if (typeof m.node !== 'string' || typeof m.seq !== 'number' || !isRole(m.role) || typeof m.settled !== 'boolean') return null;
	if (typeof m.priority !== 'number' || typeof m.address !== 'string') return null;
	if (m.demoted !== null && m.demoted !== 'switchover' && m.demoted !== 'split-brain') return null;
	const hb: Heartbeat = { t: 'hb', node: m.node, seq: m.seq, role: m.role, settled: m.settled, priority: m.priority, address: m.address, demoted: m.demoted };
	if (m.links === undefined) return hb;
	const links = m.links as Record<string, unknown> | null;
	if (typeof links !== 'object' || links === null || !Object.values(links).every(isUplinkState)) return null;
	return { ...hb, links: links as Record<string, UplinkState> };
}

export interface PeerLink {
	readonly local: string;
	readonly peer: string;
	/** The Linux device the link runs on (for the firewall rule that admits the peer). */
	readonly device: string;
}

/** The peer link: the sync link's unicast peer, else the first unicast VRRP peer of an instance's family. */
export function peerLink(model: {
	readonly sync: { readonly localAddress: string; readonly peerAddress: string | null; readonly device: string } | null;
	readonly groups: readonly { readonly device: string; readonly address: { readonly address: string; readonly family: 4 | 6 }; readonly unicastPeers: readonly string[] }[];
}): PeerLink | null {
	if (model.sync?.peerAddress) return { local: model.sync.localAddress, peer: model.sync.peerAddress, device: model.sync.device };
	for (const g of model.groups) {
		const peer = g.unicastPeers.find((p) => p.includes(':') === (g.address.family === 6));
		if (peer) return { local: g.address.address, peer, device: g.device };
	}
	return null;
}
