// The schema of /etc/config/ha-router: one table per section type. Each row names an option, how to
// check its value, its default and whether it is required or a list. docs/config.md documents it.

import { UPLINK_SECTIONS } from './uplink-options.ts';
import { advert, backend, bool, type Check, cidr, cidr4, ifname, int, ip, ipv4, logical, mac, oneOf, service, text, vip, word } from './values.ts';

export interface OptionSpec {
	readonly name: string;
	readonly check: Check;
	readonly list?: boolean;
	readonly required?: boolean;
	/** Used when the option is absent; lists take an array. */
	readonly default?: string | readonly string[];
	/** Never echoed in an issue: the rpcd plugin shows check's output to read-only LuCI users. */
	readonly secret?: boolean;
}

export interface SectionSpec {
	readonly options: readonly OptionSpec[];
	/** Sections of this type must be named (the name means something, e.g. the VRRP instance). */
	readonly named?: boolean;
	readonly min: number;
	readonly max: number;
}

// keepalived cuts a word at blanks, '#', '!' and quotes.
const routerId = word(/^[A-Za-z0-9_.:-]{1,64}$/, 'NAME_INVALID', 'is not a usable router id', "1..64 characters from A-Z a-z 0-9 _ . : -");

export const SCHEMA: Readonly<Record<string, SectionSpec>> = {
	node: {
		min: 1,
		max: 1,
		options: [
			{ name: 'enabled', check: bool, default: '1' },
			{ name: 'name', check: routerId, required: true },
			{ name: 'priority', check: int(1, 254, 'PRIORITY_RANGE'), default: '100' },
			{ name: 'state', check: oneOf(['backup', 'master']), default: 'backup' },
			{ name: 'nopreempt', check: bool, default: '0' },
			{ name: 'preempt_delay', check: int(0, 1000, 'PREEMPT_DELAY_RANGE'), default: '0' },
			{ name: 'service', check: service, list: true, default: ['dnsmasq', 'odhcpd', 'miniupnpd'] },
			{ name: 'vip_route_fix', check: bool, default: '1' },
			{ name: 'split_brain_damping', check: int(0, 3600, 'DAMPING_RANGE'), default: '30' },
			{ name: 'platform', check: oneOf(['auto', 'openwrt', 'linux']), default: 'auto' },
			{ name: 'log_level', check: oneOf(['err', 'warning', 'notice', 'info', 'debug']), default: 'info' },
		],
	},
	vrrp: {
		named: true,
		min: 1,
		max: 255,
		options: [
			{ name: 'interface', check: logical, required: true },
			{ name: 'vrid', check: int(1, 255, 'VRID_RANGE'), required: true },
			{ name: 'version', check: oneOf(['2', '3']), default: '3' },
			{ name: 'advert_int', check: advert, default: '1' },
			{ name: 'unicast_peer', check: ip, list: true, default: [] },
			{ name: 'auth_type', check: oneOf(['none', 'pass', 'ah']), default: 'none' },
			{ name: 'auth_pass', check: text, default: '', secret: true },
			{ name: 'vip', check: vip, list: true, required: true },
			{ name: 'track_interface', check: ifname, list: true, default: [] },
		],
	},
	wan: {
		min: 0,
		max: 1,
		options: [
			{ name: 'enabled', check: bool, default: '1' },
			{ name: 'interface', check: logical, default: 'wan' },
			{ name: 'parent', check: ifname, required: true },
			{ name: 'device', check: ifname, default: 'hawan' },
			{ name: 'macaddr', check: mac, required: true },
			{ name: 'mode', check: oneOf(['private', 'vepa', 'bridge', 'passthru']), default: 'private' },
			{ name: 'proto', check: oneOf(['dhcp']), default: 'dhcp' },
			{ name: 'request_address', check: ipv4, default: '' },
			{ name: 'snat_source', check: cidr4, list: true, default: [] },
		],
	},
	sync: {
		min: 0,
		max: 1,
		options: [
			{ name: 'enabled', check: bool, default: '1' },
			{ name: 'interface', check: logical, required: true },
			{ name: 'peer', check: ipv4, default: '' },
			{ name: 'transport', check: oneOf(['udp', 'multicast']), default: 'udp' },
			{ name: 'group', check: ipv4, default: '225.0.0.50' },
			{ name: 'port', check: int(1, 65535, 'PORT_RANGE'), default: '3780' },
			{ name: 'external_cache', check: bool, default: '0' },
		],
	},
	// A remote site whose clients use a subnet other sites use too (docs/config.md "Sites").
	site: {
		named: true,
		min: 0,
		max: 200,
		options: [
			{ name: 'interface', check: logical, required: true },
			{ name: 'subnet', check: cidr, required: true },
			{ name: 'mapped', check: cidr, required: true },
			{ name: 'gateway', check: ip, required: true },
		],
	},
	// A service on a VIP balanced to backends by our nftables table (docs/config.md "Services").
	service: {
		named: true,
		min: 0,
		max: 64,
		options: [
			{ name: 'vip', check: ip, required: true },
			{ name: 'protocol', check: oneOf(['tcp', 'udp']), default: 'tcp' },
			{ name: 'port', check: int(1, 65535, 'PORT_RANGE'), list: true, required: true },
			{ name: 'backend', check: backend, list: true, required: true },
			{ name: 'scheduler', check: oneOf(['random', 'hash']), default: 'random' },
			{ name: 'check', check: oneOf(['tcp', 'none']), default: 'tcp' },
			{ name: 'check_interval', check: int(1, 60, 'CHECK_INTERVAL_RANGE'), default: '2' },
		],
	},
	// Several WANs (issue 14): src/config/uplink-options.ts.
	...UPLINK_SECTIONS,
};

/**
 * Section types later versions will use (planned switchover, drain, multi-WAN uplinks, sites).
 * They are accepted with a warning and ignored, so a newer config still loads.
 */
export const RESERVED_TYPES: readonly string[] = ['switchover', 'drain', 'track', 'notify'];
