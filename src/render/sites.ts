// Sites whose clients share one subnet (every branch 10.0.0.0/24), as pure text: the chains of our
// nftables table, the iproute2 batch of their rules and routes, and their names in rt_tables.
//
// A site's connection: its packets get the site's conntrack zone before conntrack sees them (raw
// priority), so identical 5-tuples from two sites are two entries; leaving the pair their source
// is mapped 1:1 into the site's unique subnet (NETMAP, `snat ip prefix to`). The reply comes back
// to the mapped address: that address gives the zone (raw) and the mark (mangle) before the reply
// is un-NATed to the shared client address, and the mark picks the site's table, whose one route
// sends the client subnet to the site's own gateway. The original direction carries the mark too,
// so a strict reverse-path filter (OpenWrt's default) finds the client subnet behind the site's
// interface (src_valid_mark); its lookup in the site table misses anything else and falls through.
import { hex, SITE_MARK_MASK } from '../model/site-numbers.ts';
import type { Cidr, Model, Site } from '../model/types.ts';
import { nftString } from './admission.ts';
import { HEADER } from './text.ts';

const cidr = (c: Cidr) => `${c.address}/${c.prefix}`;
const keep = hex(~SITE_MARK_MASK >>> 0);
const setMark = (s: Site) => `meta mark set meta mark & ${keep} | ${hex(s.mark)}`;

/** Our table's chains for the sites; none without sites. */
export function siteChains(model: Model): string[][] {
	if (model.sites.length === 0) return [];
	const zone = ['chain site_zone {', '\ttype filter hook prerouting priority raw; policy accept;'];
	const mark = ['chain site_mark {', '\ttype filter hook prerouting priority mangle; policy accept;'];
	const netmap = [
		'chain site_netmap {',
		// Before our WAN SNAT (srcnat - 1) and fw4's (srcnat): the first NAT binding wins.
		'\ttype nat hook postrouting priority srcnat - 2; policy accept;',
	];
	for (const s of model.sites) {
		const dev = nftString(s.device);
		const why = (what: string) => `comment "!ha-router: site ${s.name} ${what}"`;
		zone.push(`\tiifname ${dev} ct zone set ${s.zone} ${why('requests')}`);
		zone.push(`\tip daddr ${cidr(s.mapped)} ct zone set ${s.zone} ${why('replies')}`);
		mark.push(`\tiifname ${dev} ${setMark(s)} ${why('requests')}`);
		mark.push(`\tip daddr ${cidr(s.mapped)} ${setMark(s)} ${why('replies')}`);
		netmap.push(`\tiifname ${dev} ip saddr ${cidr(s.subnet)} snat ip prefix to ${cidr(s.mapped)} ${why('NETMAP')}`);
	}
	return [zone, mark, netmap].map((c) => [...c, '}']);
}

/**
 * `ip -batch` lines that add every site's rule and route; the caller removes ours first
 * (src/system/site-routes.ts). Numbers, not rt_tables names: ip reads rt_tables from /etc only.
 */
export function renderSiteRoutes(model: Model): string | null {
	if (model.sites.length === 0) return null;
	const lines = [`# ${HEADER}`];
	for (const s of model.sites) {
		lines.push(`# site ${s.name}: table ${s.tableName}, zone ${s.zone}`);
		lines.push(`route replace ${cidr(s.subnet)} via ${s.gateway} dev ${s.device} table ${s.table}`);
		lines.push(`rule add fwmark ${hex(s.mark)}/${hex(SITE_MARK_MASK)} lookup ${s.table} pref ${s.rulePref}`);
	}
	return `${lines.join('\n')}\n`;
}

const BEGIN = '# ha-router sites: generated, do not edit up to the end line';
const END = '# ha-router sites: end';

/**
 * /etc/iproute2/rt_tables with our block of table names (so `ip rule` and `ip route show table
 * ha_<site>` print names), everything else kept byte for byte. null: no file (nothing in it).
 */
export function renderRtTables(model: Model, current: string | null): string | null {
	const lines = current === null ? [] : current.split('\n');
	if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
	const out: string[] = [];
	let inside = false;
	for (const l of lines) {
		if (l === BEGIN) inside = true;
		else if (l === END) inside = false;
		else if (!inside) out.push(l);
	}
	if (model.sites.length > 0) out.push(BEGIN, ...model.sites.map((s) => `${s.table}\t${s.tableName}`), END);
	// Nothing left (we created it): no file, which iproute2 reads as its built-in names.
	return out.length === 0 ? null : `${out.join('\n')}\n`;
}
