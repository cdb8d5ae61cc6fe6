// IPv4/IPv6 addresses and prefixes as byte arrays: parsing as strict as inet_pton, canonical text
// (RFC 5952 for IPv6) and subnet tests.

import type { Cidr, Family } from '../model/types.ts';

export interface Ip {
	readonly family: Family;
	readonly bytes: readonly number[];
}

export function parseIpv4(s: string): Ip | null {
	// inet_pton rejects empty parts, signs and leading zeros.
	const parts = s.split('.');
	if (parts.length !== 4) return null;
	const bytes: number[] = [];
	for (const p of parts) {
		const n = smallNumber(p);
		if (n < 0 || n > 255) return null;
		bytes.push(n);
	}
	return { family: 4, bytes };
}

/** 1..4 hex digits, without a regex (they are slow on QuickJS). */
function hexGroup(p: string): number {
	if (p.length < 1 || p.length > 4) return -1;
	let n = 0;
	for (let i = 0; i < p.length; i++) {
		const c = p.charCodeAt(i);
		const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
		if (d < 0) return -1;
		n = n * 16 + d;
	}
	return n;
}

/** A decimal number without sign or leading zero, up to 3 digits; -1 otherwise. */
function smallNumber(p: string): number {
	if (p.length < 1 || p.length > 3 || (p.length > 1 && p.charCodeAt(0) === 48)) return -1;
	let n = 0;
	for (let i = 0; i < p.length; i++) {
		const c = p.charCodeAt(i);
		if (c < 48 || c > 57) return -1;
		n = n * 10 + c - 48;
	}
	return n;
}

export function parseIpv6(s: string): Ip | null {
	if (s.length > 45 || s.length < 2) return null;
	const halves = s.split('::');
	if (halves.length > 2) return null;
	const groups = (h: string): number[] | null => {
		if (h === '') return [];
		const out: number[] = [];
		const parts = h.split(':');
		for (let i = 0; i < parts.length; i++) {
			const p = parts[i]!;
			if (i === parts.length - 1 && p.includes('.')) {
				const v4 = parseIpv4(p);
				if (!v4) return null;
				out.push((v4.bytes[0]! << 8) | v4.bytes[1]!, (v4.bytes[2]! << 8) | v4.bytes[3]!);
			} else {
				const g = hexGroup(p);
				if (g < 0) return null;
				out.push(g);
			}
		}
		return out;
	};
	const head = groups(halves[0]!);
	const tail = halves.length === 2 ? groups(halves[1]!) : [];
	if (!head || !tail) return null;
	// An embedded IPv4 address may only end the address.
	if (halves.length === 2 && halves[0]!.includes('.')) return null;
	const fill = 8 - head.length - tail.length;
	if (halves.length === 2 ? fill < 1 : fill !== 0) return null;
	const all = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
	const bytes: number[] = [];
	for (const g of all) bytes.push(g >> 8, g & 255);
	return { family: 6, bytes };
}

export function parseIp(s: string): Ip | null {
	return s.includes(':') ? parseIpv6(s) : parseIpv4(s);
}

export function formatIp(ip: Ip): string {
	const b = ip.bytes;
	if (ip.family === 4) return b.join('.');
	const g: number[] = [];
	for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
	// Longest run of two or more zero groups becomes '::' (the first one on a tie).
	let best = -1;
	let bestLen = 1;
	for (let i = 0; i < 8; ) {
		if (g[i] !== 0) {
			i++;
			continue;
		}
		let j = i;
		while (j < 8 && g[j] === 0) j++;
		if (j - i > bestLen) {
			best = i;
			bestLen = j - i;
		}
		i = j;
	}
	const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
	if (best < 0) return hex(g);
	return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** 'a.b.c.d/len' or 'x::y/len'; without '/len', `defaultPrefix` (null: the prefix is required). */
export function parseCidr(s: string, defaultPrefix: 'host' | null = null): Cidr | null {
	const slash = s.indexOf('/');
	const ip = parseIp(slash < 0 ? s : s.slice(0, slash));
	if (!ip) return null;
	const max = ip.family === 4 ? 32 : 128;
	let prefix = max;
	if (slash >= 0) {
		prefix = smallNumber(s.slice(slash + 1));
		if (prefix < 0 || prefix > max) return null;
	} else if (defaultPrefix === null) {
		return null;
	}
	return { address: formatIp(ip), prefix, family: ip.family };
}

/** 255.255.255.0 -> 24; null for a non-contiguous or invalid mask. */
export function netmaskPrefix(mask: string): number | null {
	const ip = parseIpv4(mask);
	if (!ip) return null;
	let bits = 0;
	let ended = false;
	for (const byte of ip.bytes) {
		for (let bit = 7; bit >= 0; bit--) {
			if (byte & (1 << bit)) {
				if (ended) return null;
				bits++;
			} else {
				ended = true;
			}
		}
	}
	return bits;
}

export function toIp(c: { address: string }): Ip {
	return parseIp(c.address)!;
}

/** Is `addr` inside address/prefix? */
export function inSubnet(addr: Ip, net: Cidr): boolean {
	if (addr.family !== net.family) return false;
	const n = toIp(net).bytes;
	for (let i = 0, left = net.prefix; left > 0; i++, left -= 8) {
		const mask = left >= 8 ? 255 : (0xff << (8 - left)) & 255;
		if ((addr.bytes[i]! & mask) !== (n[i]! & mask)) return false;
	}
	return true;
}

/** The network address of a prefix, e.g. 192.168.1.2/24 -> 192.168.1.0/24. */
export function networkOf(c: Cidr): Cidr {
	const b = [...toIp(c).bytes];
	for (let i = 0; i < b.length; i++) {
		const left = c.prefix - i * 8;
		b[i] = left >= 8 ? b[i]! : left <= 0 ? 0 : b[i]! & ((0xff << (8 - left)) & 255);
	}
	return { address: formatIp({ family: c.family, bytes: b }), prefix: c.prefix, family: c.family };
}

export function sameIp(a: Ip, b: Ip): boolean {
	return a.family === b.family && a.bytes.every((x, i) => x === b.bytes[i]);
}

export function isMulticast(ip: Ip): boolean {
	return ip.family === 4 ? ip.bytes[0]! >= 224 && ip.bytes[0]! <= 239 : ip.bytes[0] === 0xff;
}

/** Addresses a host cannot own: unspecified, loopback, multicast, IPv4 broadcast. */
export function isUnusable(ip: Ip): boolean {
	const b = ip.bytes;
	if (isMulticast(ip) || b.every((x) => x === 0)) return true;
	if (ip.family === 4) return b[0] === 127 || b.every((x) => x === 255);
	return b.slice(0, 15).every((x) => x === 0) && b[15] === 1;
}
