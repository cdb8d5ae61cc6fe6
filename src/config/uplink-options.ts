// The option tables of `config uplink` and `config uplink_rule` (issue 14, several WANs), kept apart
// from options.ts so the multi-WAN schema reads in one place. docs/config.md documents them.

import type { Cidr } from '../model/types.ts';
import type { OptionSpec, SectionSpec } from './options.ts';
import { parseCidr } from './ip.ts';
import { bool, type Check, int, ipv4, logical, oneOf, word } from './values.ts';

/** Marks and routing tables are allocated per uplink section (src/render/uplinks.ts): at most this many. */
export const MAX_UPLINKS = 32;

/** A prefix of either family; a bare address is a host prefix. */
export const prefix: Check<Cidr> = (raw) => {
	const c = parseCidr(raw, 'host');
	return c ? { ok: true, value: c } : { ok: false, code: 'PREFIX_INVALID', why: 'is not an address prefix', valid: "a.b.c.d[/len] or an IPv6 address[/len], e.g. '10.0.0.0/8'" };
};

/** A destination port or range, as nft writes it. */
export const portRange: Check<string> = (raw) => {
	const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(raw);
	const lo = m ? Number(m[1]) : 0;
	const hi = m?.[2] === undefined ? lo : Number(m[2]);
	if (!m || lo < 1 || hi > 65535 || hi < lo) return { ok: false, code: 'PORT_INVALID', why: 'is not a port or port range', valid: "1..65535 or 'low-high', e.g. '443' or '8000-8080'" };
	return { ok: true, value: lo === hi ? String(lo) : `${lo}-${hi}` };
};

export type UseSpec = { kind: 'balanced' } | { kind: 'tier'; tier: number } | { kind: 'uplink'; uplink: string };

/** `balanced`, `tier <n>` or an uplink's section name. */
export const use: Check<UseSpec> = (raw) => {
	if (raw === 'balanced') return { ok: true, value: { kind: 'balanced' } };
	const t = /^tier\s+(\d{1,3})$/.exec(raw);
	if (t && Number(t[1]) <= 255) return { ok: true, value: { kind: 'tier', tier: Number(t[1]) } };
	if (/^[A-Za-z0-9_]+$/.test(raw) && !raw.startsWith('tier')) return { ok: true, value: { kind: 'uplink', uplink: raw } };
	return { ok: false, code: 'USE_INVALID', why: 'is not a place to send connections', valid: "'balanced', 'tier <0..255>' or the name of an uplink section" };
};

const UPLINK_OPTIONS: readonly OptionSpec[] = [
	{ name: 'enabled', check: bool, default: '1' },
	{ name: 'interface', check: logical, required: true },
	{ name: 'weight', check: int(0, 1000, 'WEIGHT_RANGE'), default: '1' },
	{ name: 'tier', check: int(0, 255, 'TIER_RANGE'), default: '0' },
	{ name: 'preferred', check: bool, default: '0' },
	{ name: 'track_ip', check: ipv4, list: true, default: [] },
	{ name: 'track_method', check: oneOf(['icmp', 'tcp', 'dns']), default: 'icmp' },
	// Without it: 443 for tcp, 53 for dns (uplinkTrackPort).
	{ name: 'track_port', check: int(1, 65535, 'PORT_RANGE') },
	{ name: 'probe_interval', check: int(100, 60_000, 'PROBE_INTERVAL_RANGE'), default: '200' },
	{ name: 'probe_size', check: int(0, 1400, 'PROBE_SIZE_RANGE'), default: '56' },
	{ name: 'down', check: int(1, 100, 'THRESHOLD_RANGE'), default: '3' },
	{ name: 'up', check: int(1, 100, 'THRESHOLD_RANGE'), default: '3' },
	// Quality (off without them): over these the link is degraded and avoided while another is fully alive.
	{ name: 'max_loss', check: int(1, 99, 'MAX_LOSS_RANGE') },
	{ name: 'max_rtt', check: int(1, 60_000, 'MAX_RTT_RANGE') },
];

/** The port a tcp or dns probe goes to without track_port. */
export const DEFAULT_TRACK_PORT = { tcp: 443, dns: 53 } as const;

const UPLINK_RULE_OPTIONS: readonly OptionSpec[] = [
	// It goes into an nft comment: no quotes, backslashes or control characters.
	{ name: 'name', check: word(/^[A-Za-z0-9_.:+ -]{1,64}$/, 'NAME_INVALID', 'is not a usable rule name', '1..64 characters from A-Z a-z 0-9 _ . : + - and blanks'), default: '' },
	{ name: 'family', check: oneOf(['ipv4', 'ipv6']), default: 'ipv4' },
	{ name: 'proto', check: oneOf(['all', 'tcp', 'udp', 'icmp']), default: 'all' },
	{ name: 'dest_ip', check: prefix, list: true, default: [] },
	{ name: 'src_ip', check: prefix, list: true, default: [] },
	{ name: 'dest_port', check: portRange, list: true, default: [] },
	{ name: 'use', check: use, required: true },
];

export const UPLINK_SECTIONS: Readonly<Record<'uplink' | 'uplink_rule', SectionSpec>> = {
	uplink: { named: true, min: 0, max: MAX_UPLINKS, options: UPLINK_OPTIONS },
	uplink_rule: { min: 0, max: 255, options: UPLINK_RULE_OPTIONS },
};
