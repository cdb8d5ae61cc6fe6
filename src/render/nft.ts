// Our nftables table `inet ha_router`, as one script that declares, flushes and redefines it, so
// `nft -f` swaps it in a single transaction (fw4 does the same with `inet fw4`).

import type { Cidr, Model } from '../model/types.ts';
import { HEADER, familyOf } from './text.ts';
import { admissionDrops, admissionRules, ipKey, nftString } from './admission.ts';
import { siteChains } from './sites.ts';
import { type DownBackends, serviceParts } from './services.ts';
import { NO_UPLINK_FACTS, type UplinkFacts, uplinkTableLines } from './uplinks.ts';

export const NFT_TABLE = 'inet ha_router';

export interface NftFacts {
	/** The shared WAN address from the current lease; null while unknown (no SNAT rule yet). */
	readonly wanAddress: string | null;
	/** Service backends the health check found down (the agent's last view); none: all up. */
	readonly down?: DownBackends;
	/** Several WANs: the uplinks' addresses and health (none known: no SNAT rules yet, all alive). */
	readonly uplinks?: UplinkFacts;
}

function cidr(c: Cidr): string {
	return `${c.address}/${c.prefix}`;
}

function srcnat(model: Model, wanAddress: string | null): string[] {
	const wan = model.wan;
	if (wan === null) return [];
	const lines = [
		'chain srcnat {',
		// Just before fw4's srcnat (100): the first NAT binding wins, so fw4's masquerade never sees
		// these flows (masquerade loses every session when the old master's WAN goes down).
		'\ttype nat hook postrouting priority srcnat - 1; policy accept;',
	];
	if (wanAddress === null) {
		lines.push('\t# !ha-router: no WAN lease known yet: the SNAT rule appears with the address');
	} else {
		const family = familyOf(wanAddress);
		const sources = wan.snatSources.filter((s) => s.family === family).map(cidr);
		const others = wan.snatSources.filter((s) => s.family !== family).map(cidr);
		const key = ipKey(family);
		if (sources.length > 0) {
			const set = sources.length === 1 ? sources[0] : `{ ${sources.join(', ')} }`;
			lines.push(`\toifname ${nftString(wan.device)} ${key} saddr ${set} snat ${key} to ${wanAddress} comment "!ha-router: SNAT to the shared WAN address"`);
		} else {
			lines.push(`\t# !ha-router: no IPv${family} source subnets to translate`);
		}
		if (others.length > 0) lines.push(`\t# !ha-router: not translated, no IPv${family === 4 ? 6 : 4} WAN address: ${others.join(', ')}`);
	}
	lines.push('}');
	return lines;
}

/**
 * Conntrack-INVALID packets on the shared WAN: around a takeover (and while two nodes both
 * think they are master) a node sees only part of a flow, window tracking calls its packets
 * invalid, and they escape NAT: inbound they reach the router's own TCP stack, which answers
 * with a RST that kills the session; outbound they leave with the private source. Dropped, the
 * sender retransmits and the flow goes on once one node owns it (docs/decisions.md).
 */
function invalidOnWan(model: Model, dir: 'iifname' | 'oifname'): string[] {
	if (!model.wan) return [];
	return [`${dir} ${nftString(model.wan.device)} ct state invalid counter drop comment "!ha-router: invalid on the shared WAN, never RST or un-NATed"`];
}

function forward(model: Model): string[] {
	if (!model.wan) return [];
	return ['chain forward {', '	type filter hook forward priority filter - 1; policy accept;', ...[...invalidOnWan(model, 'iifname'), ...invalidOnWan(model, 'oifname')].map((r) => `	${r}`), '}'];
}

function input(model: Model): string[] {
	const rules = [...admissionRules(model), ...admissionDrops(model), ...invalidOnWan(model, 'iifname')];
	if (rules.length === 0) return [];
	return [
		'chain input {',
		// Before fw4's input (filter = 0). Our drops are final; our accepts are not (fw4's chain still
		// runs), so on OpenWrt the same accepts also go into fw4's input chain (fw4-input.nft include).
		'\ttype filter hook input priority filter - 1; policy accept;',
		...rules.map((r) => `\t${r}`),
		'}',
	];
}

/** The whole ruleset file; byte-identical for the same Model and facts. */
export function renderNft(model: Model, facts: NftFacts): string {
	const services = serviceParts(model, facts.down);
	const chains = [...services.maps, srcnat(model, facts.wanAddress), input(model), forward(model), ...siteChains(model), services.chain, ...uplinkTableLines(model, facts.uplinks ?? NO_UPLINK_FACTS)].filter((c) => c.length > 0);
	const body = chains.map((c) => c.map((l) => `\t${l}`).join('\n')).join('\n\n');
	return [
		`# ${HEADER}`,
		`table ${NFT_TABLE} {}`,
		// Deleted and made again, in the one transaction: a flush would keep chains the Model no longer
		// has (hooked in, empty) and the elements of maps and sets (a map's new text then clashes with
		// them: "File exists"). Counters start again from zero with each load.
		`delete table ${NFT_TABLE}`,
		`table ${NFT_TABLE} {`,
		...(body === '' ? [] : [body]),
		'}',
		'',
	].join('\n');
}
