// Several WANs (issue 14): our nftables table's uplink part and the policy routing beside it, both
// pure. docs/decisions.md "Several WANs: the data path" explains the shape:
//  - a new connection gets its uplink once, in its conntrack mark (bits UPLINK_MARK_MASK): from the
//    uplink it came in on, from the first uplink_rule it matches, or from a weighted random choice
//    (`numgen random mod BUCKETS map @uplink_balanced`); every later packet, both directions, copies
//    the ct mark to the packet mark, and one `ip rule` per uplink sends that mark to its own table;
//  - the router's own connections bound to an uplink's address get that uplink (map @uplink_local);
//  - SNAT per uplink to its own address (the shared WAN keeps its own SNAT chain in nft.ts);
//  - weights and health live only in the choice maps' elements, so a change is one nft transaction
//    over those elements (renderUplinkMapUpdate), never a reload of the rules.

import type { Cidr, Model, Uplink, Uplinks } from '../model/types.ts';
import { UPLINK_MARK_MASK, UPLINK_TABLE_BASE, markHex } from '../model/uplink-ids.ts';
import { nftString } from './admission.ts';
import { NFT_TABLE } from './nft.ts';

/** numgen's range: shares are exact to 0.1 %. */
export const BUCKETS = 1000;

/** What the renderers need from the running node. */
export interface UplinkFacts {
	/** Each uplink's current IPv4 address (by name); absent or null while it has none. */
	readonly addresses: Readonly<Record<string, string | null>>;
	/** Uplinks new connections avoid (by name): dead, or degraded while another is alive (plan/uplink-health.ts avoidedLinks). */
	readonly dead: readonly string[];
}

export const NO_UPLINK_FACTS: UplinkFacts = { addresses: {}, dead: [] };

export interface Bucket {
	readonly from: number;
	readonly to: number;
	readonly mark: number;
}

const MASK = markHex(UPLINK_MARK_MASK);
/** The packet and conntrack mark bits that are not ours (sites use 0xff000000): kept as they are. */
const OTHERS = markHex(~UPLINK_MARK_MASK >>> 0);
const cidr = (c: Cidr) => `${c.address}/${c.prefix}`;
const nftSet = (values: readonly string[]) => (values.length === 1 ? values[0]! : `{ ${values.join(', ')} }`);

/** Weighted links -> contiguous bucket ranges over 0..BUCKETS-1 (largest remainder, link order). */
export function spreadBuckets(links: readonly { mark: number; weight: number }[]): Bucket[] {
	const total = links.reduce((s, l) => s + l.weight, 0);
	if (total === 0) return [];
	const exact = links.map((l) => (l.weight * BUCKETS) / total);
	const counts = exact.map(Math.floor);
	let left = BUCKETS - counts.reduce((s, c) => s + c, 0);
	const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
	for (const o of order) {
		if (left === 0) break;
		counts[o.i]!++;
		left--;
	}
	const out: Bucket[] = [];
	let from = 0;
	links.forEach((l, i) => {
		if (counts[i]! > 0) out.push({ from, to: from + counts[i]! - 1, mark: l.mark });
		from += counts[i]!;
	});
	return out;
}

/**
 * The links a choice may use: the alive ones. When every uplink is dead there is nothing better to
 * move to: the `preferred` one takes everything if there is one, else all of them keep their shares
 * (the probes may be what failed; the main table keeps its default route either way).
 */
export function aliveLinks(u: Uplinks, dead: readonly string[]): { links: readonly Uplink[]; allDead: boolean } {
	const alive = u.links.filter((l) => !dead.includes(l.name));
	if (alive.length > 0) return { links: alive, allDead: false };
	const preferred = u.links.filter((l) => l.preferred);
	return { links: preferred.length > 0 ? preferred : u.links, allDead: true };
}

/** What aliveLinks does when every uplink is dead, said once for the log, `uplinks` and `status`. */
export function allDeadSentence(u: Uplinks): string {
	const last = u.links.find((l) => l.preferred);
	return `every uplink is dead: ${last ? `new connections all go to the preferred uplink ${last.name}` : 'all stay in the balance as configured'}, and the main table keeps its default route`;
}

/** Weighted shares of some links; all weights 0 counts each as 1 (a tier or rule chose them anyway). */
function weighted(links: readonly Uplink[]): Bucket[] {
	const some = links.some((l) => l.weight > 0);
	return spreadBuckets(links.map((l) => ({ mark: l.mark, weight: some ? l.weight : 1 })));
}

function balanced(links: readonly Uplink[]): Bucket[] {
	const usable = links.filter((l) => l.weight > 0);
	const pool = usable.length > 0 ? usable : links;
	const tier = Math.min(...pool.map((l) => l.tier));
	return weighted(pool.filter((l) => l.tier === tier));
}

/** Every choice map (name -> buckets): balanced, one per tier and one per uplink a rule names. */
export function choiceMaps(u: Uplinks, dead: readonly string[]): Map<string, Bucket[]> {
	const { links } = aliveLinks(u, dead);
	const fallback = balanced(links);
	const maps = new Map<string, Bucket[]>([['uplink_balanced', fallback]]);
	for (const r of u.rules) {
		const t = r.target;
		if (t.kind === 'tier') {
			const inTier = links.filter((l) => l.tier === t.tier);
			maps.set(`uplink_tier_${t.tier}`, inTier.length > 0 ? weighted(inTier) : fallback);
		} else if (t.kind === 'uplink') {
			const link = links.find((l) => l.name === t.uplink && !dead.includes(l.name));
			maps.set(`uplink_only_${t.uplink}`, link ? [{ from: 0, to: BUCKETS - 1, mark: link.mark }] : fallback);
		}
	}
	return new Map([...maps].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function mapTarget(r: Uplinks['rules'][number]): string {
	const t = r.target;
	return t.kind === 'balanced' ? 'uplink_balanced' : t.kind === 'tier' ? `uplink_tier_${t.tier}` : `uplink_only_${t.uplink}`;
}

const elements = (b: readonly Bucket[]) => b.map((x) => `${x.from === x.to ? x.from : `${x.from}-${x.to}`} : ${markHex(x.mark)}`).join(', ');

/** Sets, maps and chains of the uplink data path, one line each (the caller indents); [] without uplinks. */
export function uplinkTableLines(model: Model, facts: UplinkFacts): string[][] {
	const u = model.uplinks;
	if (!u || u.links.length === 0) return [];
	const blocks: string[][] = [];
	for (const [name, buckets] of choiceMaps(u, facts.dead)) {
		blocks.push([`map ${name} {`, `\ttypeof numgen random mod ${BUCKETS} : meta mark`, '\tflags interval', ...(buckets.length ? [`\telements = { ${elements(buckets)} }`] : []), '}']);
	}
	const local = u.links.filter((l) => facts.addresses[l.name]).map((l) => `${facts.addresses[l.name]} : ${markHex(l.mark)}`);
	blocks.push(['map uplink_local {', '\ttype ipv4_addr : mark', ...(local.length ? [`\telements = { ${local.join(', ')} }`] : []), '}']);
	for (const r of u.rules) {
		const type = r.family === 4 ? 'ipv4_addr' : 'ipv6_addr';
		if (r.destinations.length) blocks.push([`set uplink_rule_${r.index}_dst {`, `\ttype ${type}`, '\tflags interval', `\telements = { ${r.destinations.map(cidr).join(', ')} }`, '}']);
		if (r.sources.length) blocks.push([`set uplink_rule_${r.index}_src {`, `\ttype ${type}`, '\tflags interval', `\telements = { ${r.sources.map(cidr).join(', ')} }`, '}']);
	}
	// Only our bits of the packet mark change (the sites' bits stay): nft cannot merge ct mark into
	// the other bits in one statement, so chain uplink_restore does it with one constant rule per uplink.
	const setMark = 'goto uplink_restore';
	const restore = [
		'chain uplink_restore {',
		...u.links.map((l) => `\tct mark & ${MASK} == ${markHex(l.mark)} meta mark set meta mark & ${OTHERS} | ${markHex(l.mark)} return`),
		'}',
	];
	const pre = [
		'chain uplink_prerouting {',
		// After conntrack (-200) and before DNAT (-100): the reply direction still shows the original addresses.
		'\ttype filter hook prerouting priority mangle; policy accept;',
		`\tct mark & ${MASK} != 0 ${setMark} comment "!ha-router: uplink: every later packet, both ways, keeps its connection's uplink"`,
		'\tct state != new return',
		...u.links.map((l) => `\tiifname ${nftString(l.device)} ct mark set ct mark & ${OTHERS} | ${markHex(l.mark)} ${setMark} comment "!ha-router: uplink ${l.name}: connections that came in on it are answered by it"`),
		'\tfib daddr type { local, broadcast, multicast } return',
		...u.rules.map((r) => {
			const key = r.family === 4 ? 'ip' : 'ip6';
			const proto = r.proto === 'all' ? '' : r.proto === 'icmp' ? (r.family === 4 ? 'meta l4proto icmp ' : 'meta l4proto ipv6-icmp ') : `meta l4proto ${r.proto} `;
			const ports = r.ports.length ? `th dport ${nftSet(r.ports)} ` : '';
			const match = [`meta nfproto ${r.family === 4 ? 'ipv4' : 'ipv6'}`, r.sources.length ? `${key} saddr @uplink_rule_${r.index}_src` : '', r.destinations.length ? `${key} daddr @uplink_rule_${r.index}_dst` : ''].filter(Boolean).join(' ');
			return `\t${match} ${proto}${ports}ct mark set numgen random mod ${BUCKETS} map @${mapTarget(r)} ${setMark} comment "!ha-router: uplink_rule ${r.label}"`;
		}),
		`\tmeta nfproto ipv4 ct mark set numgen random mod ${BUCKETS} map @uplink_balanced ${setMark} comment "!ha-router: uplink: weighted choice per new connection"`,
		'}',
	];
	const out = [
		'chain uplink_output {',
		// A route chain: a packet whose mark changes here is routed again.
		'\ttype route hook output priority mangle; policy accept;',
		`\tct mark & ${MASK} != 0 ${setMark} comment "!ha-router: uplink: replies and later packets keep their uplink"`,
		`\tct state new meta nfproto ipv4 ct mark set ip saddr map @uplink_local ${setMark} comment "!ha-router: uplink: the router's own connections bound to an uplink's address leave by it"`,
		'}',
	];
	const snat = ['chain uplink_srcnat {', '\ttype nat hook postrouting priority srcnat - 1; policy accept;'];
	for (const l of u.links) {
		if (l.shared) continue; // the shared WAN's SNAT is chain srcnat (nft.ts)
		const addr = facts.addresses[l.name];
		const sources = u.snatSources.filter((s) => s.family === 4).map(cidr);
		if (!addr) snat.push(`\t# !ha-router: uplink ${l.name}: no address yet: its SNAT rule appears with the address`);
		else if (sources.length) snat.push(`\toifname ${nftString(l.device)} ip saddr ${nftSet(sources)} snat ip to ${addr} comment "!ha-router: uplink ${l.name}: SNAT to its own address"`);
	}
	snat.push('}');
	blocks.push(restore, pre, out, snat);
	return blocks;
}

/** One nft transaction that rewrites only the choice maps' elements: a weight or health change. */
export function renderUplinkMapUpdate(model: Model, dead: readonly string[]): string {
	const u = model.uplinks;
	if (!u) return '';
	const lines: string[] = [];
	for (const [name, buckets] of choiceMaps(u, dead)) {
		lines.push(`flush map ${NFT_TABLE} ${name}`);
		if (buckets.length) lines.push(`add element ${NFT_TABLE} ${name} { ${elements(buckets)} }`);
	}
	return lines.length ? `${lines.join('\n')}\n` : '';
}

/** An `ip rule` of ours: everything at priorities UPLINK_TABLE_BASE .. UPLINK_TABLE_BASE + 255. */
export interface UplinkIpRule {
	readonly priority: number;
	readonly argv: readonly string[];
}

/** The ip rules the uplinks need, in priority order (empty without uplinks: apply removes ours). */
export function uplinkIpRules(model: Pick<Model, 'uplinks'>): UplinkIpRule[] {
	const u = model.uplinks;
	if (!u || u.links.length === 0) return [];
	const rules: UplinkIpRule[] = [{ priority: UPLINK_TABLE_BASE, argv: ['ip', '-4', 'rule', 'add', 'priority', String(UPLINK_TABLE_BASE), 'lookup', 'main', 'suppress_prefixlength', '0'] }];
	for (const l of u.links) {
		rules.push({ priority: l.table, argv: ['ip', '-4', 'rule', 'add', 'priority', String(l.table), 'fwmark', `${markHex(l.mark)}/${MASK}`, 'lookup', String(l.table)] });
	}
	return rules;
}

/** Each uplink's table: its default route through its gateway, or emptied while it has none
 * (a marked packet then falls through to the main table: never a node without a route). */
export function uplinkRouteCommands(model: Pick<Model, 'uplinks'>, gateways: Readonly<Record<string, string | null>>): string[][] {
	const u = model.uplinks;
	if (!u) return [];
	return u.links.map((l) => {
		const gw = gateways[l.name];
		return gw ? ['ip', '-4', 'route', 'replace', 'default', 'via', gw, 'dev', l.device, 'table', String(l.table)] : ['ip', '-4', 'route', 'flush', 'table', String(l.table)];
	});
}

/** Whether a choice map's block starts on this line (its `elements` line follows within the block). */
const CHOICE_MAP = /^\tmap uplink_(balanced|tier_\d+|only_\w+) \{$/;

/** The table text without the choice maps' elements: two tables equal under this differ only in weights or health. */
function withoutChoiceElements(table: string): string {
	const out: string[] = [];
	let inChoice = false;
	for (const line of table.split('\n')) {
		if (CHOICE_MAP.test(line)) inChoice = true;
		else if (inChoice && line === '\t}') inChoice = false;
		if (inChoice && line.startsWith('\t\telements = ')) continue;
		out.push(line);
	}
	return out.join('\n');
}

/**
 * True when `next` differs from `loaded` (both renderNft texts) only in the choice maps' elements:
 * then a weight change is loaded as renderUplinkMapUpdate, one transaction over those elements,
 * and no rule of the table is replaced.
 */
export function onlyChoiceMapsDiffer(loaded: string, next: string): boolean {
	return loaded !== next && withoutChoiceElements(loaded) === withoutChoiceElements(next);
}
