// The drain's rules (ha-router drain): a table of their own, so `on` and `off` are one atomic
// nft transaction each and never touch our main table or fw4's. `dup` only exists in the ip/ip6
// families (the inet family refuses it), hence `ip`: the drain covers IPv4.
//
// On the draining MASTER, a packet arriving on a drained LAN device to be forwarded (unicast, not
// for this node) that has no confirmed connection here (ct state new) is copied to the peer's LAN
// address and dropped here. The dropped packet's conntrack entry is never confirmed, so each
// later packet of a flow the peer serves is new again here (conntrack picks a TCP flow up in the
// middle, nf_conntrack_tcp_loose, the kernel's default) and follows the first. The FIN or RST of
// such a flow is invalid here (no entry, and no pick-up from a FIN): it is copied as well, and not
// dropped, because an invalid FIN or RST may also belong to a connection of this node, which must
// see it to close (our forward chain already keeps invalid packets off the shared WAN).
// With conntrackd writing the peer's connections straight into this node's table (no external
// cache, the default), the later packets of a flow the peer serves are no longer new here: they
// are told by their reply address, the peer's own (its uplink's NAT), and follow the first.
// Connections this node holds are established and stay. Nothing on the peer: it forwards the
// copies through its own uplink, and the replies reach the client from it.
import { nftString } from './admission.ts';

export const DRAIN_FAMILY = 'ip';
export const DRAIN_TABLE = 'ha_router_drain';

/** One drained LAN: its device here and the peer's address on it. */
export interface DrainTarget {
	readonly device: string;
	readonly peer: string;
}

const nftSet = (values: readonly string[]) => (values.length === 1 ? values[0]! : `{ ${values.join(', ')} }`);

/** `peerAddresses`: the peer's own IPv4 addresses (a connection it serves has one as its reply address). */
export function renderDrain(targets: readonly DrainTarget[], peerAddresses: readonly string[]): string {
	const rules = targets.flatMap((t) => {
		const match = `iifname ${nftString(t.device)} ip saddr != ${t.peer} fib daddr type unicast`;
		const dup = `dup to ${t.peer} device ${nftString(t.device)}`;
		return [
			`\t\t${match} ct state new counter ${dup} drop comment "!ha-router: drain: new connections to the peer"`,
			...(peerAddresses.length ? [`\t\t${match} ct reply ip daddr ${nftSet(peerAddresses)} counter ${dup} drop comment "!ha-router: drain: the peer's connections, synced here"`] : []),
			`\t\t${match} ct state invalid tcp flags & (fin | rst) != 0 ${dup} comment "!ha-router: drain: the peer's FIN and RST"`,
		];
	});
	const table = `${DRAIN_FAMILY} ${DRAIN_TABLE}`;
	return [
		// Create-then-delete makes `on` idempotent in the one transaction (a table that exists is replaced).
		`table ${table} {}`,
		`delete table ${table}`,
		`table ${table} {`,
		'\tchain prerouting {',
		// After conntrack (-200), before DNAT (-100): the state is known and nothing is translated yet.
		'\t\ttype filter hook prerouting priority mangle; policy accept;',
		...rules,
		'\t}',
		'}',
		'',
	].join('\n');
}
