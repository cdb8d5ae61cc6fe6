// A typical two-node Model (node A of the pair), for plan and exec tests.
import type { Model } from '../../../src/model/types.ts';

export function pairModel(over: { groups?: number; sync?: boolean; externalCache?: boolean; wan?: boolean; routeFix?: boolean; services?: string[] } = {}): Model {
	const groups = Array.from({ length: over.groups ?? 1 }, (_, i) => ({
		name: i === 0 ? 'lan' : `lan${i}`,
		interface: i === 0 ? 'lan' : `lan${i}`,
		device: i === 0 ? 'br-lan' : `br-lan${i}`,
		address: { address: `192.168.${i + 1}.2`, prefix: 24, family: 4 as const },
		vrid: 51 + i,
		version: 3 as const,
		advertIntMs: 100,
		unicastPeers: [`192.168.${i + 1}.3`],
		auth: { type: 'none' as const },
		vips: [
			{ address: `192.168.${i + 1}.1`, prefix: 24, family: 4 as const, device: i === 0 ? 'br-lan' : `br-lan${i}` },
			{ address: 'fd00::1', prefix: 64, family: 6 as const, device: 'br-lan' },
		],
		trackInterfaces: [],
		origin: { file: '/etc/config/ha-router', line: 10 + i, section: i === 0 ? 'lan' : `lan${i}` },
	}));
	return {
		node: {
			enabled: true,
			name: 'ha1',
			priority: 150,
			initialState: 'BACKUP',
			nopreempt: false,
			preemptDelay: 0,
			splitBrainDampingS: 30,
			services: over.services ?? ['dnsmasq', 'odhcpd', 'miniupnpd'],
			vipRouteFix: over.routeFix ?? true,
			platform: 'linux',
			logLevel: 'info',
		},
		groups,
		wan:
			over.wan === false
				? null
				: {
						interface: 'wan',
						device: 'hawan',
						parent: 'eth1',
						macaddr: '02:00:5e:00:01:01',
						mode: 'private',
						proto: 'dhcp',
						requestAddress: null,
						snatSources: [{ address: '192.168.1.0', prefix: 24, family: 4 }],
					},
		sync:
			over.sync === false
				? null
				: {
						interface: 'sync',
						device: 'sync0',
						localAddress: '10.255.0.1',
						peerAddress: '10.255.0.2',
						transport: 'udp',
						multicastGroup: '225.0.0.50',
						port: 3780,
						externalCache: over.externalCache ?? false,
					},
		sites: [],
		services: [],
	};
}
