// Checks for single option values. Each returns the typed value or what is wrong with the raw text
// and what would be valid; the caller adds file, line and section.

import type { Cidr } from '../model/types.ts';
import { USABLE_DEVICE, usableDevice, validIfname, validServiceName } from '../model/value-rules.ts';
import { type Ip, parseCidr, parseIp, parseIpv4 } from './ip.ts';

export type Checked<T> = { ok: true; value: T; warning?: Problem } | ({ ok: false } & Problem);

export interface Problem {
	readonly code: string;
	/** Completes "'<value>' ...", e.g. 'is out of range'. */
	readonly why: string;
	/** What would be accepted, e.g. '1..255'. */
	readonly valid: string;
}

export type Check<T = unknown> = (raw: string) => Checked<T>;

const bad = (code: string, why: string, valid: string): { ok: false } & Problem => ({ ok: false, code, why, valid });

const TRUE = ['1', 'yes', 'on', 'true', 'enabled'];
const FALSE = ['0', 'no', 'off', 'false', 'disabled'];

/** UCI booleans as OpenWrt's config_get_bool reads them. */
export const bool: Check<boolean> = (raw) => {
	if (TRUE.includes(raw)) return { ok: true, value: true };
	if (FALSE.includes(raw)) return { ok: true, value: false };
	return bad('BOOL_INVALID', 'is not a boolean', '0 or 1 (also no/yes, off/on, false/true)');
};

export function int(min: number, max: number, code: string): Check<number> {
	return (raw) => {
		if (!/^-?\d{1,9}$/.test(raw)) return bad('NOT_A_NUMBER', 'is not a whole number', `${min}..${max}`);
		const n = Number(raw);
		return n < min || n > max ? bad(code, 'is out of range', `${min}..${max}`) : { ok: true, value: n };
	};
}

export function oneOf<T extends string>(values: readonly T[]): Check<T> {
	return (raw) => ((values as readonly string[]).includes(raw) ? { ok: true, value: raw as T } : bad('VALUE_NOT_ALLOWED', 'is not allowed', values.join(' | ')));
}

export const ipv4: Check<Ip> = (raw) => parseIpv4(raw) ? { ok: true, value: parseIpv4(raw)! } : bad('IPV4_INVALID', 'is not an IPv4 address', 'a.b.c.d');

export const ip: Check<Ip> = (raw) => {
	const v = parseIp(raw);
	return v ? { ok: true, value: v } : bad('IP_INVALID', 'is not an IP address', 'an IPv4 (a.b.c.d) or IPv6 address');
};

/** A prefix of either family; rules that need one family say so with the section's context. */
export const cidr: Check<Cidr> = (raw) => {
	const c = parseCidr(raw);
	return c ? { ok: true, value: c } : bad('CIDR_INVALID', 'is not an address prefix', 'a.b.c.d/len (len 0..32) or x::y/len');
};

export const cidr4: Check<Cidr> = (raw) => {
	const c = parseCidr(raw);
	return c && c.family === 4 ? { ok: true, value: c } : bad('CIDR_INVALID', 'is not an IPv4 prefix', 'a.b.c.d/len with len 0..32');
};

/** A device name: a valid Linux interface name that keepalived.conf and nft can also carry. */
function device(raw: string): Problem | null {
	if (!validIfname(raw)) return { code: 'IFNAME_INVALID', why: 'is not a valid Linux interface name', valid: USABLE_DEVICE };
	if (!usableDevice(raw)) return { code: 'IFNAME_INVALID', why: "holds a '\"' or '\\' that keepalived.conf and nft cannot carry", valid: USABLE_DEVICE };
	return null;
}

export const ifname: Check<string> = (raw) => {
	const p = device(raw);
	return p ? { ok: false, ...p } : { ok: true, value: raw };
};

/** An init script name, by the rule the system seam asserts before it runs one. */
export const service: Check<string> = (raw) =>
	validServiceName(raw) ? { ok: true, value: raw } : bad('SERVICE_INVALID', 'is not an init script name', "a file name in /etc/init.d (1..64 characters from A-Z a-z 0-9 _ . + -, not starting with '.' or '-', no '..'), e.g. dnsmasq");

/** A logical interface: a UCI section name in /etc/config/network. */
export const logical: Check<string> = (raw) => (/^[A-Za-z0-9_]+$/.test(raw) ? { ok: true, value: raw } : bad('IFACE_NAME_INVALID', 'is not a logical interface name', 'a section name of /etc/config/network ([A-Za-z0-9_]+)'));

/** A shared MAC: unicast and not all zero; a globally administered one only warns. */
export const mac: Check<string> = (raw) => {
	if (!/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/.test(raw)) return bad('MAC_INVALID', 'is not a MAC address', 'six hex pairs separated by colons, e.g. 02:00:5e:10:00:01');
	const value = raw.toLowerCase();
	const first = parseInt(value.slice(0, 2), 16);
	if (first & 1) return bad('MAC_MULTICAST', 'is a multicast MAC address', 'a unicast MAC (lowest bit of the first byte clear), e.g. 02:...');
	if (value === '00:00:00:00:00:00') return bad('MAC_INVALID', 'is the all-zero MAC address', 'a unicast MAC, e.g. 02:00:5e:10:00:01');
	if (!(first & 2)) return { ok: true, value, warning: { code: 'MAC_NOT_LOCAL', why: 'is a globally administered MAC address and may clash with a real device', valid: 'a locally administered MAC (second-lowest bit of the first byte set), e.g. 02:...' } };
	return { ok: true, value };
};

export function word(re: RegExp, code: string, why: string, valid: string): Check<string> {
	return (raw) => (re.test(raw) ? { ok: true, value: raw } : bad(code, why, valid));
}

export const text: Check<string> = (raw) => ({ ok: true, value: raw });

/** Seconds with at most two decimals, as centiseconds (the version decides the range). */
export const advert: Check<number> = (raw) => {
	const m = /^(\d{1,5})(?:\.(\d{1,2}))?$/.exec(raw);
	if (!m) return bad('ADVERT_INT_INVALID', 'is not an interval in seconds', 'v3: 0.01..40.95 in 0.01 steps; v2: whole seconds 1..255');
	return { ok: true, value: Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0')) };
};

export interface VipSpec {
	readonly ip: Ip;
	/** null: take the prefix of the interface subnet holding it. */
	readonly prefix: number | null;
	readonly device: string | null;
}

/** keepalived style 'address[/prefix][ dev <device>]'. */
export const vip: Check<VipSpec> = (raw) => {
	const m = /^(\S+?)(?:\/(\d{1,3}))?(?:\s+dev\s+(\S+))?$/.exec(raw.trim());
	const addr = m ? parseIp(m[1]!) : null;
	const valid = "address[/prefix][ dev <device>], e.g. '192.168.1.1/24'";
	if (!m || !addr) return bad('VIP_INVALID', 'is not a virtual address', valid);
	const prefix = m[2] === undefined ? null : Number(m[2]);
	if (prefix !== null && prefix > (addr.family === 4 ? 32 : 128)) return bad('VIP_INVALID', 'has a prefix length out of range', addr.family === 4 ? '/0../32' : '/0../128');
	const dev = m[3] ?? null;
	const p = dev === null ? null : device(dev);
	if (p) return bad(p.code, `names a device that ${p.why}`, p.valid);
	return { ok: true, value: { ip: addr, prefix, device: dev } };
};

export interface BackendSpec {
	readonly ip: Ip;
	readonly weight: number;
}

/** A service backend: 'address[ weight N]', N 1..100 (default 1). */
export const backend: Check<BackendSpec> = (raw) => {
	const m = /^(\S+?)(?:\s+weight\s+(\d{1,3}))?$/.exec(raw.trim());
	const addr = m ? parseIp(m[1]!) : null;
	const valid = "address[ weight 1..100], e.g. '192.168.1.21 weight 2'";
	if (!m || !addr) return bad('BACKEND_INVALID', 'is not a backend', valid);
	const weight = m[2] === undefined ? 1 : Number(m[2]);
	if (weight < 1 || weight > 100) return bad('BACKEND_INVALID', 'has a weight out of range', valid);
	return { ok: true, value: { ip: addr, weight } };
};
