// Example Models for the renderer golden tests, built as plain objects (independent of src/config).

import { siteNumbers } from '../../../src/model/site-numbers.ts';
import type { Cidr, Model, NodeSettings, Service, SharedWan, Site, StateSync, Uplink, Uplinks, Vip, VrrpGroup } from '../../../src/model/types.ts';
import type { UplinkFacts } from '../../../src/render/uplinks.ts';

export function cidr(text: string): Cidr {
	const [address, prefix] = text.split('/') as [string, string];
	return { address, prefix: Number(prefix), family: address.includes(':') ? 6 : 4 };
}

export function vip(text: string, device = 'br-lan'): Vip {
	return { ...cidr(text), device };
}

export function node(over: Partial<NodeSettings> = {}): NodeSettings {
	return {
		enabled: true,
		name: 'router-a',
		priority: 150,
		initialState: 'BACKUP',
		nopreempt: false,
		preemptDelay: 0,
		services: [],
		vipRouteFix: true,
		splitBrainDampingS: 30,
		platform: 'openwrt',
		logLevel: 'info',
		...over,
	};
}

export function group(over: Partial<VrrpGroup> = {}): VrrpGroup {
	return {
		name: 'lan',
		interface: 'lan',
		device: 'br-lan',
		address: cidr('192.168.1.2/24'),
		vrid: 51,
		version: 3,
		advertIntMs: 100,
		unicastPeers: ['192.168.1.3'],
		auth: { type: 'none' },
		vips: [vip('192.168.1.1/24')],
		trackInterfaces: [],
		origin: { file: '/etc/config/ha-router', line: 1, section: over.name ?? 'lan' },
		...over,
	};
}

export function wan(over: Partial<SharedWan> = {}): SharedWan {
	return {
		interface: 'wan',
		device: 'hawan',
		parent: 'eth1',
		macaddr: '02:00:5e:10:00:01',
		mode: 'private',
		proto: 'dhcp',
		requestAddress: null,
		snatSources: [cidr('192.168.1.0/24')],
		...over,
	};
}

export function sync(over: Partial<StateSync> = {}): StateSync {
	return {
		interface: 'sync',
		device: 'eth2',
		localAddress: '10.255.0.1',
		peerAddress: '10.255.0.2',
		transport: 'udp',
		multicastGroup: '225.0.0.50',
		port: 3780,
		externalCache: false,
		...over,
	};
}

/** A site at `position` of the sorted names, client subnet 10.0.0.0/24, numbers from the real scheme. */
export function site(name: string, position: number, device: string, mapped: string, gateway: string): Site {
	return { name, interface: device, device, subnet: cidr('10.0.0.0/24'), mapped: cidr(mapped), gateway, ...siteNumbers(name, position), origin: { file: '/etc/config/ha-router', line: 30 + position * 6, section: name, type: 'site' } };
}

export function service(name: string, protocol: 'tcp' | 'udp', ports: number[], backends: [string, number][], scheduler: 'random' | 'hash' = 'random', over: Partial<Service> = {}): Service {
	return {
		name,
		vip: '192.168.100.10',
		protocol,
		ports: [...ports].sort((a, b) => a - b),
		backends: backends.map(([address, weight]) => ({ address, weight })),
		scheduler,
		check: 'tcp',
		checkIntervalS: 2,
		balancer: 'nft',
		map: `svc_${name}`,
		fwmark: 0x4901,
		origin: { file: '/etc/config/ha-router', line: 40, section: name, type: 'service' },
		...over,
	};
}

export function model(over: Partial<Model> = {}): Model {
	return { node: node(), groups: [group()], wan: wan(), sync: sync(), sites: [], services: [], ...over };
}

export interface GoldenCase {
	/** Folder under test/golden/. */
	readonly name: string;
	readonly model: Model;
	readonly wanAddress: string | null;
	readonly conntrackMax: number;
	/** Several WANs: the uplinks' addresses, gateways and health on the running node. */
	readonly uplinkFacts?: UplinkFacts & { readonly gateways: Readonly<Record<string, string | null>> };
}

export function uplink(position: number, over: Partial<Uplink> = {}): Uplink {
	return {
		name: `isp${position}`,
		interface: `wan${position}`,
		device: `eth${position + 2}`,
		weight: 1,
		tier: 0,
		preferred: false,
		shared: false,
		mark: position << 16,
		table: 1800 + position,
		health: { targets: ['192.0.2.53'], method: 'icmp', port: 0, intervalMs: 500, size: 56, down: 3, up: 3, maxLoss: null, maxRttMs: null },
		origin: { file: '/etc/config/ha-router', line: 30 + position, section: `isp${position}`, type: 'uplink' },
		...over,
	};
}

/** The shared WAN (weight 3), a second ISP (weight 1), a backup LTE link in tier 1, and three rules. */
function uplinks(): Uplinks {
	const origin = (line: number) => ({ file: '/etc/config/ha-router', line, section: `@uplink_rule[${line - 50}]`, type: 'uplink_rule' });
	return {
		links: [uplink(1, { interface: 'wan', device: 'hawan', weight: 3, shared: true, preferred: true }), uplink(2), uplink(3, { name: 'lte', interface: 'lte', device: 'wwan0', tier: 1 })],
		rules: [
			{ index: 1, label: 'bank', family: 4, proto: 'tcp', destinations: [cidr('203.0.113.0/24'), cidr('198.51.100.64/26')], sources: [], ports: ['443', '8000-8080'], target: { kind: 'uplink', uplink: 'isp2' }, origin: origin(50) },
			{ index: 2, label: 'cameras', family: 4, proto: 'all', destinations: [], sources: [cidr('192.168.1.64/28')], ports: [], target: { kind: 'tier', tier: 1 }, origin: origin(51) },
			{ index: 3, label: '@uplink_rule[2]', family: 6, proto: 'udp', destinations: [cidr('2001:db8::/32')], sources: [], ports: ['53'], target: { kind: 'balanced' }, origin: origin(52) },
		],
		snatSources: [cidr('192.168.1.0/24')],
	};
}

const WAN_ADDRESS = '198.51.100.7';

export const cases: readonly GoldenCase[] = [
	{ name: '01_single_vip', model: model(), wanAddress: WAN_ADDRESS, conntrackMax: 16384 },
	{
		name: '02_several_vips',
		model: model({
			groups: [group({ vips: [vip('192.168.1.1/24'), vip('192.168.1.254/24'), vip('192.168.7.1/24')], trackInterfaces: ['eth1', 'br-lan'] })],
			wan: wan({ snatSources: [cidr('192.168.1.0/24'), cidr('192.168.7.0/24')], requestAddress: WAN_ADDRESS }),
		}),
		wanAddress: WAN_ADDRESS,
		conntrackMax: 65536,
	},
	{
		name: '03_ipv6_vip',
		model: model({
			groups: [
				group({
					name: 'lan6',
					address: cidr('fd00:1::2/64'),
					unicastPeers: ['fd00:1::3'],
					vips: [vip('fd00:1::1/64'), vip('192.168.1.1/24')],
				}),
			],
			wan: wan({ snatSources: [cidr('192.168.1.0/24'), cidr('fd00:1::/64')] }),
			sync: sync({ localAddress: 'fd00:ff::1', peerAddress: 'fd00:ff::2' }),
		}),
		wanAddress: WAN_ADDRESS,
		conntrackMax: 16384,
	},
	{
		name: '04_multicast',
		model: model({
			groups: [group({ unicastPeers: [] })],
			sync: sync({ transport: 'multicast', peerAddress: null }),
		}),
		wanAddress: WAN_ADDRESS,
		conntrackMax: 16384,
	},
	{
		name: '05_vrrp_v2',
		model: model({ groups: [group({ version: 2, advertIntMs: 1000 })] }),
		wanAddress: WAN_ADDRESS,
		conntrackMax: 16384,
	},
	{
		name: '06_sync_over_lan',
		model: model({
			sync: sync({ interface: 'lan', device: 'br-lan', localAddress: '192.168.1.2', peerAddress: '192.168.1.3', port: 3781, externalCache: true }),
		}),
		wanAddress: WAN_ADDRESS,
		conntrackMax: 31000,
	},
	{
		name: '07_sync_group',
		model: model({
			groups: [
				group(),
				group({
					name: 'guest',
					interface: 'guest',
					device: 'br-guest',
					address: cidr('192.168.2.2/24'),
					vrid: 52,
					unicastPeers: ['192.168.2.3'],
					vips: [vip('192.168.2.1/24', 'br-guest')],
				}),
			],
			wan: wan({ snatSources: [cidr('192.168.1.0/24'), cidr('192.168.2.0/24')] }),
		}),
		wanAddress: WAN_ADDRESS,
		conntrackMax: 16384,
	},
	{
		name: '08_nopreempt',
		model: model({ node: node({ initialState: 'MASTER', nopreempt: true, preemptDelay: 30 }) }),
		wanAddress: WAN_ADDRESS,
		conntrackMax: 16384,
	},
	{
		name: '09_preempt_delay_master',
		model: model({ node: node({ name: 'router-b', priority: 100, initialState: 'MASTER', preemptDelay: 30 }) }),
		wanAddress: WAN_ADDRESS,
		conntrackMax: 16384,
	},
	{
		name: '10_auth_pass',
		model: model({ groups: [group({ version: 2, advertIntMs: 1000, auth: { type: 'pass', password: 'p#ss!w d' } })] }),
		wanAddress: WAN_ADDRESS,
		conntrackMax: 16384,
	},
	{
		name: '11_no_wan_no_sync',
		model: model({ wan: null, sync: null }),
		wanAddress: null,
		conntrackMax: 16384,
	},
	{
		name: '12_lease_unknown',
		model: model(),
		wanAddress: null,
		conntrackMax: 262144,
	},
	{
		name: '13_auth_ah',
		model: model({ groups: [group({ version: 2, advertIntMs: 1000, auth: { type: 'ah', password: 'secret1' } })] }),
		wanAddress: WAN_ADDRESS,
		conntrackMax: 16384,
	},
	{
		name: '13_auth_ah',
		model: model({ groups: [group({ version: 2, advertIntMs: 1000, auth: { type: 'ah', password: 'secret1' } })] }),
		wanAddress: WAN_ADDRESS,
		conntrackMax: 16384,
	},
	{
		// Two branches with the same client subnet, each on its own interface with a VIP of its own.
		name: '14_sites',
		model: model({
			groups: [
				group(),
				group({ name: 'site10', interface: 'site10', device: 'site10', address: cidr('172.16.10.11/24'), vrid: 10, unicastPeers: ['172.16.10.12'], vips: [vip('172.16.10.1/24', 'site10')] }),
				group({ name: 'site20', interface: 'site20', device: 'site20', address: cidr('172.16.20.11/24'), vrid: 20, unicastPeers: ['172.16.20.12'], vips: [vip('172.16.20.1/24', 'site20')] }),
			],
			sites: [site('north', 0, 'site10', '10.0.10.0/24', '172.16.10.2'), site('south', 1, 'site20', '10.0.20.0/24', '172.16.20.2')],
		}),
		wanAddress: WAN_ADDRESS,
		conntrackMax: 16384,
	},
	{
		// Two services on one VIP: weighted random for TCP, a client-hash for UDP.
		name: '15_services',
		model: model({ services: [service('dns', 'udp', [53], [['192.168.1.21', 1], ['192.168.1.23', 1]], 'hash'), service('web', 'tcp', [443, 80], [['192.168.1.21', 1], ['192.168.1.22', 3]])] }),
		wanAddress: WAN_ADDRESS,
		conntrackMax: 16384,
	},
	{
		// The LVS alternative: keepalived virtual_server fwmark on a VRRP VIP, our table only marks.
		name: '16_services_lvs',
		model: model({ services: [service('dns', 'udp', [53], [['192.168.1.21', 1], ['192.168.1.23', 1]], 'hash', { vip: '192.168.1.1', balancer: 'lvs', fwmark: 0x4901 }), service('web', 'tcp', [443, 80], [['192.168.1.21', 1], ['192.168.1.22', 3]], 'random', { vip: '192.168.1.1', balancer: 'lvs', fwmark: 0x4902, checkIntervalS: 5 })] }),
		wanAddress: WAN_ADDRESS,
		conntrackMax: 16384,
	},
	{
		name: '30_uplinks',
		model: model({ uplinks: uplinks() }),
		wanAddress: WAN_ADDRESS,
		conntrackMax: 16384,
		uplinkFacts: { addresses: { isp1: WAN_ADDRESS, isp2: '192.0.2.10', lte: null }, gateways: { isp1: '198.51.100.1', isp2: '192.0.2.1', lte: null }, dead: [] },
	},
	{
		name: '31_uplinks_one_dead',
		model: model({ uplinks: uplinks() }),
		wanAddress: WAN_ADDRESS,
		conntrackMax: 16384,
		uplinkFacts: { addresses: { isp1: WAN_ADDRESS, isp2: '192.0.2.10', lte: '100.64.0.9' }, gateways: { isp1: '198.51.100.1', isp2: '192.0.2.1', lte: '100.64.0.1' }, dead: ['isp2'] },
	},
];
