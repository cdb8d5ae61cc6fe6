// Logical interfaces of /etc/config/network as netifd would set them up: their L3 device and
// static addresses. Both the 21.02+ form (option device, bridges as `config device`) and the legacy
// one (option ifname + option type 'bridge' -> br-<name>) are understood.

import type { Cidr } from '../model/types.ts';
import { netmaskPrefix, parseCidr, parseIpv4 } from './ip.ts';
import { findOption } from './uci-names.ts';
import type { UciPackage, UciSection } from './uci-types.ts';

export interface NetInterface {
	readonly name: string;
	/** L3 device, or null if the section names none. */
	readonly device: string | null;
	/** The interface it stacks on ('@wan'), or null. */
	readonly alias: string | null;
	/** Ports of its device when that is a bridge (they belong to this interface too). */
	readonly ports: readonly string[];
	readonly proto: string;
	/** Static addresses in the order netifd adds them (the first is the primary). */
	readonly ipv4: readonly Cidr[];
	readonly ipv6: readonly Cidr[];
	readonly line: number;
}

export function readNetwork(pkg: UciPackage): Map<string, NetInterface> {
	const sections = new Map<string, UciSection>();
	for (const s of pkg.sections) if (s.type === 'interface' && !s.anonymous) sections.set(s.name, s);
	const bridges = bridgePorts(pkg);
	const out = new Map<string, NetInterface>();
	for (const [name, s] of sections) {
		const get = (o: string) => findOption(s, o)?.values ?? [];
		const proto = get('proto')[0] ?? 'none';
		const ipv4: Cidr[] = [];
		const ipv6: Cidr[] = [];
		if (proto === 'static') {
			const mask = get('netmask')[0];
			const maskPrefix = mask === undefined ? 32 : netmaskPrefix(mask);
			for (const item of words(get('ipaddr'))) {
				const c = item.includes('/') ? parseCidr(item) : parseIpv4(item) && maskPrefix !== null ? parseCidr(`${item}/${maskPrefix}`) : null;
				if (c && c.family === 4) ipv4.push(c);
			}
			for (const item of words(get('ip6addr'))) {
				const c = parseCidr(item, 'host');
				if (c && c.family === 6) ipv6.push(c);
			}
		}
		const device = deviceOf(name, sections, 0);
		const given = findOption(s, 'device')?.values[0] ?? words(get('ifname'))[0];
		const alias = given?.startsWith('@') ? given.slice(1) : null;
		out.set(name, { name, device, alias, ports: device ? (bridges.get(device) ?? []) : [], proto, ipv4, ipv6, line: s.line });
	}
	return out;
}

function deviceOf(name: string, sections: Map<string, UciSection>, depth: number): string | null {
	const s = sections.get(name);
	if (!s || depth > 8) return null;
	const device = findOption(s, 'device')?.values[0];
	const type = findOption(s, 'type')?.values[0];
	if (type === 'bridge') return `br-${name}`;
	// '@wan' makes an alias interface on top of another one's device.
	if (device?.startsWith('@')) return deviceOf(device.slice(1), sections, depth + 1);
	if (device) return device;
	const ifname = words(findOption(s, 'ifname')?.values ?? [])[0];
	return ifname?.startsWith('@') ? deviceOf(ifname.slice(1), sections, depth + 1) : (ifname ?? null);
}

/** Bridge name -> ports: 21.02+ `config device` bridges and legacy `option type 'bridge'` interfaces. */
function bridgePorts(pkg: UciPackage): Map<string, string[]> {
	const out = new Map<string, string[]>();
	for (const s of pkg.sections) {
		const type = findOption(s, 'type')?.values[0];
		if (type !== 'bridge') continue;
		if (s.type === 'device') {
			const name = findOption(s, 'name')?.values[0];
			if (name) out.set(name, words(findOption(s, 'ports')?.values ?? []));
		} else if (s.type === 'interface' && !s.anonymous) {
			out.set(`br-${s.name}`, words(findOption(s, 'ifname')?.values ?? []).filter((w) => !w.startsWith('@')));
		}
	}
	return out;
}

/** Items of an option or list; legacy configs put several in one value, separated by blanks. */
function words(values: readonly string[]): string[] {
	const out: string[] = [];
	for (const v of values) {
		if (v.includes(' ') || v.includes('\t')) out.push(...v.split(/\s+/).filter(Boolean));
		else if (v) out.push(v);
	}
	return out;
}
