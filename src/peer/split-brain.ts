// Split brain: both nodes MASTER because VRRP adverts stopped arriving while the nodes still hear
// each other on the peer link. The preferred node (higher configured priority; at equal priority
// the higher peer-link address, VRRP's own tie-break) stays MASTER, the other goes to FAULT and
// stays there until the peer stops serving or is gone (at once), or until VRRP is heard again
// and the damping time has passed since it stepped down: a flapping link moves roles at most
// once per damping interval. Pure: the agent feeds it what it saw and carries out the verdict.
import type { VrrpState } from '../model/types.ts';
import type { Heartbeat } from './protocol.ts';

export interface SplitInput {
	readonly now: number;
	readonly role: VrrpState | null;
	readonly priority: number;
	readonly address: string;
	/** The peer's last heartbeat and when it arrived; null when never heard. */
	readonly peer: { readonly hb: Heartbeat; readonly at: number } | null;
	readonly silentMs: number;
	/** Wall-clock ms this node stepped down for a split brain, or null. */
	readonly demotedSince: number | null;
	/** VRRP adverts from the peer arrived during the last check. */
	readonly vrrpHeard: boolean;
	readonly dampingMs: number;
	/** Since when (monotonic) both nodes have been seen MASTER, from earlier verdicts; null if not. */
	readonly bothMasterSince: number | null;
	/** Two masters for less than this is VRRP's own business (the lower one hears the other's advert). */
	readonly graceMs: number;
	/** A heartbeat from the peer arrived after both became MASTER: it is alive, not a crashed node's last word. */
	readonly peerHeardSinceBoth: boolean;
	/** Wall-clock now, for demotedSince (the monotonic clock is not comparable across processes). */
	readonly wallNow: number;
}

/** `both`: both nodes are MASTER now; `split`: for longer than the grace time (a split brain). */
export type SplitVerdict = { readonly both: boolean } & (
	| { readonly action: 'none'; readonly split: boolean }
	| { readonly action: 'step-down'; readonly split: true; readonly why: string }
	// Stepped down there is no split brain: this node is not MASTER (it was counted when it began).
	| { readonly action: 'stay-down'; readonly split: false }
	| { readonly action: 'step-up'; readonly split: false; readonly why: string }
);

/** Numeric order of two addresses of one family (IPv4 dotted or IPv6 text), as VRRP compares them. */
function addressAbove(a: string, b: string): boolean {
	const key = (x: string) => (x.includes(':') ? x.split(':').map((p) => p.padStart(4, '0')).join(':') : x.split('.').map((p) => p.padStart(3, '0')).join('.'));
	return key(a) !== key(b) ? key(a) > key(b) : a > b;
}

/** Does this node win a split brain against that peer? (Priorities are effective ones: a node
 * demoted by a switchover advertises priority 1 and so loses.) */
export function preferred(priority: number, address: string, peer: Heartbeat): boolean {
	if (priority !== peer.priority) return priority > peer.priority;
	return addressAbove(address, peer.address);
}

export function judgeSplit(i: SplitInput): SplitVerdict {
	const peerAlive = i.peer !== null && i.now - i.peer.at < i.silentMs;
	const peerMaster = peerAlive && i.peer!.hb.role === 'MASTER';
	const both = i.role === 'MASTER' && peerMaster;
	if (i.demotedSince !== null) {
		if (!peerAlive) return { both, action: 'step-up', split: false, why: 'the peer is silent on the peer link' };
		if (!peerMaster) return { both, action: 'step-up', split: false, why: `the peer is ${i.peer!.hb.role ?? 'without a role'}` };
		if (i.vrrpHeard && i.wallNow - i.demotedSince >= i.dampingMs) return { both, action: 'step-up', split: false, why: 'VRRP adverts from the peer arrive again' };
		return { both, action: 'stay-down', split: false };
	}
	const split = both && i.bothMasterSince !== null && i.now - i.bothMasterSince >= i.graceMs && i.peerHeardSinceBoth;
	if (split && !preferred(i.priority, i.address, i.peer!.hb)) {
		return { both, action: 'step-down', split: true, why: `the peer ${i.peer!.hb.node} (priority ${i.peer!.hb.priority}) is MASTER too and is preferred` };
	}
	return { both, action: 'none', split };
}
