// nft rules that admit VRRP and conntrackd sync traffic, and only from where the pair expects it.
// Shared by our own table (which drops the rest) and the fw4 chain-pre/input include (which accepts
// them before fw4's zones can reject them: an accept in another base chain is not final).

import type { Model } from '../model/types.ts';
import { nftCarries } from '../model/value-rules.ts';
import { PEER_PORT, peerLink } from '../peer/protocol.ts';
import { RenderError, familyOf, sortedUnique } from './text.ts';

/** IP protocol numbers, not names: nft resolves names through /etc/protocols. */
export const PROTO_VRRP = 112;
export const PROTO_AH = 51;
const VRRP_MCAST = { 4: '224.0.0.18', 6: 'ff02::12' } as const;

/** A device name as an nft string literal (validation refuses what nft cannot carry; this asserts it). */
export function nftString(value: string): string {
	if (!nftCarries(value)) throw new RenderError(`nft cannot carry ${JSON.stringify(value)}`);
	return `"${value}"`;
}

function nftSet(values: readonly string[]): string {
	return values.length === 1 ? values[0]! : `{ ${values.join(', ')} }`;
}

/** The ip/ip6 selector for an address family. */
export function ipKey(family: 4 | 6): string {
	return family === 4 ? 'ip' : 'ip6';
}

/** Accept rules, one per line, without indentation; empty when there is nothing to admit. */
export function admissionRules(model: Model): string[] {
	const rules: string[] = [];
	for (const g of model.groups) {
		const dev = nftString(g.device);
		const protos = g.auth.type === 'ah' && g.version === 2 ? `{ ${PROTO_AH}, ${PROTO_VRRP} }` : `${PROTO_VRRP}`;
		for (const family of [4, 6] as const) {
			const peers = sortedUnique(g.unicastPeers.filter((p) => familyOf(p) === family));
			if (peers.length > 0) {
				rules.push(`iifname ${dev} ${ipKey(family)} saddr ${nftSet(peers)} meta l4proto ${protos} counter accept comment "!ha-router: VRRP ${g.name} from the peer"`);
			}
		}
		if (g.unicastPeers.length === 0) {
			const family = g.address.family;
			rules.push(`iifname ${dev} ${ipKey(family)} daddr ${VRRP_MCAST[family]} meta l4proto ${protos} counter accept comment "!ha-router: VRRP ${g.name} multicast"`);
		}
	}
	const sync = model.sync;
	if (sync !== null) {
		const dev = nftString(sync.device);
		if (sync.transport === 'udp' && sync.peerAddress !== null) {
			rules.push(`iifname ${dev} ${ipKey(familyOf(sync.peerAddress))} saddr ${sync.peerAddress} udp dport ${sync.port} accept comment "!ha-router: conntrackd sync from the peer"`);
		} else if (sync.transport === 'multicast') {
			rules.push(`iifname ${dev} ${ipKey(familyOf(sync.multicastGroup))} daddr ${sync.multicastGroup} udp dport ${sync.port} accept comment "!ha-router: conntrackd sync multicast"`);
		}
	}
	const link = peerLink(model);
	if (link !== null) {
		rules.push(`iifname ${nftString(link.device)} ${ipKey(familyOf(link.peer))} saddr ${link.peer} udp dport ${PEER_PORT} accept comment "!ha-router: peer agent"`);
	}
	return rules;
}

/** Drop rules for the same traffic from anywhere else: a drop is final in every base chain. */
export function admissionDrops(model: Model): string[] {
	const drops: string[] = [];
	if (model.groups.length > 0) drops.push(`meta l4proto ${PROTO_VRRP} counter drop comment "!ha-router: VRRP from anyone but the peer"`);
	const sync = model.sync;
	if (sync !== null) {
		const dst = sync.transport === 'multicast' ? `${ipKey(familyOf(sync.multicastGroup))} daddr ${sync.multicastGroup} ` : '';
		drops.push(`${dst}udp dport ${sync.port} counter drop comment "!ha-router: conntrackd sync from anyone but the peer"`);
	}
	if (peerLink(model) !== null) drops.push(`udp dport ${PEER_PORT} counter drop comment "!ha-router: peer agent port from anyone but the peer"`);
	return drops;
}
