// The checked uplink and uplink_rule sections -> the Model's Uplinks (issue 14). Called only when
// every rule passed, so lookups cannot fail.

import type { Cidr, SharedWan, Uplink, UplinkRule, UplinkTarget, Uplinks, VrrpGroup } from '../model/types.ts';
import { uplinkMark, uplinkTable } from '../model/uplink-ids.ts';
import { type Ip, formatIp, networkOf } from './ip.ts';
import type { NetInterface } from './network.ts';
import type { ReadSection } from './read-sections.ts';
import { DEFAULT_TRACK_PORT, type UseSpec } from './uplink-options.ts';

const get = <T>(r: ReadSection, option: string): T => r.values.get(option) as T;

/** null when there is no uplink section: the data path stays today's single-WAN one. */
export function assembleUplinks(
	uplinkSections: readonly ReadSection[],
	ruleSections: readonly ReadSection[],
	wan: SharedWan | null,
	groups: readonly VrrpGroup[],
	network: ReadonlyMap<string, NetInterface>,
): Uplinks | undefined {
	if (uplinkSections.length === 0) return undefined;
	const links: Uplink[] = [];
	uplinkSections.forEach((r, i) => {
		if (get<boolean>(r, 'enabled') === false) return;
		const iface = get<string>(r, 'interface');
		const shared = wan !== null && wan.interface === iface;
		const method = get<'icmp' | 'tcp' | 'dns'>(r, 'track_method');
		links.push({
			name: r.section.name,
			interface: iface,
			device: shared ? wan.device : network.get(iface)!.device!,
			weight: get(r, 'weight'),
			tier: get(r, 'tier'),
			preferred: get(r, 'preferred'),
			shared,
			mark: uplinkMark(i + 1),
			table: uplinkTable(i + 1),
			health: {
				targets: get<Ip[]>(r, 'track_ip').map(formatIp),
				method,
				port: get<number | null>(r, 'track_port') ?? (method === 'icmp' ? 0 : DEFAULT_TRACK_PORT[method]),
				intervalMs: get(r, 'probe_interval'),
				size: get(r, 'probe_size'),
				down: get(r, 'down'),
				up: get(r, 'up'),
				maxLoss: get(r, 'max_loss'),
				maxRttMs: get(r, 'max_rtt'),
			},
			origin: r.origin,
		});
	});
	const names = new Set(links.map((l) => l.name));
	const rules: UplinkRule[] = ruleSections.map((r, i) => {
		const u = get<UseSpec>(r, 'use');
		// A rule naming a disabled uplink balances (warned by ruleTargetExists).
		const target: UplinkTarget = u.kind === 'uplink' && !names.has(u.uplink) ? { kind: 'balanced' } : u;
		const label = get<string | null>(r, 'name');
		return {
			index: i + 1,
			label: label || r.section.id,
			family: get<string>(r, 'family') === 'ipv6' ? 6 : 4,
			proto: get(r, 'proto'),
			destinations: get<Cidr[]>(r, 'dest_ip').map(networkOf),
			sources: get<Cidr[]>(r, 'src_ip').map(networkOf),
			ports: get(r, 'dest_port'),
			target,
			origin: r.origin,
		};
	});
	const snatSources: Cidr[] = [];
	for (const g of groups) {
		const n = networkOf(g.address);
		if (n.family === 4 && !snatSources.some((s) => s.address === n.address && s.prefix === n.prefix)) snatSources.push(n);
	}
	return { links, rules, snatSources: wan && wan.snatSources.length > 0 ? wan.snatSources : snatSources };
}
