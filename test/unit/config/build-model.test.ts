// The Model built from a valid configuration, and the defaults filled in.
import { describe, expect, it } from 'vitest';
import { applyUciEdits } from '../../../src/config/apply-uci-edits.ts';
import { buildModel } from '../../../src/config/build-model.ts';
import { formatIssue } from '../../../src/config/issues.ts';
import { renderNetworkEdits } from '../../../src/render/network.ts';
import { BASE, HA, LEGACY_NETWORK, NET, NETWORK } from './fixtures.ts';

const build = (ha: string, net: string | null = NETWORK) => buildModel({ haRouter: { path: HA, text: ha }, network: { path: NET, text: net } });

describe('buildModel', () => {
	it('advertises every 30 ms with VRRPv3 and every 1 s with VRRPv2 unless advert_int says otherwise', () => {
		expect(build(BASE).model!.groups[0]!.advertIntMs).toBe(30);
		const v2 = BASE.replace("option vrid '51'", "option vrid '51'\n\toption version '2'");
		expect(build(v2).model!.groups[0]!.advertIntMs).toBe(1000);
		const set = BASE.replace("option vrid '51'", "option vrid '51'\n\toption advert_int '0.2'");
		expect(build(set).model!.groups[0]!.advertIntMs).toBe(200);
	});

	it('accepts the network file as its own apply left it (the WAN, its macvlan and the interface holding it)', () => {
		const first = build(BASE);
		const applied = applyUciEdits(NETWORK, NET, renderNetworkEdits(first.model!).edits);
		expect(applied).toContain("config interface 'hawan_hold'");
		const again = build(BASE, applied);
		expect(again.issues.map(formatIssue)).toEqual([]);
		expect(again.model).toEqual(first.model);
	});

	it('builds the model of a valid pair with every default filled in', () => {
		const r = build(BASE);
		expect(r.issues.map(formatIssue)).toEqual([]);
		expect(r.model).toEqual({
			node: {
				enabled: true,
				name: 'ha1',
				priority: 100,
				initialState: 'BACKUP',
				nopreempt: false,
				preemptDelay: 0,
				services: ['dnsmasq', 'odhcpd', 'miniupnpd'],
				vipRouteFix: true,
				splitBrainDampingS: 30,
				platform: 'auto',
				logLevel: 'info',
			},
			groups: [
				{
					name: 'lan',
					interface: 'lan',
					device: 'br-lan',
					address: { address: '192.168.1.2', prefix: 24, family: 4 },
					vrid: 51,
					version: 3,
					advertIntMs: 30,
					unicastPeers: ['192.168.1.3'],
					auth: { type: 'none' },
					vips: [{ address: '192.168.1.1', prefix: 24, family: 4, device: 'br-lan' }],
					trackInterfaces: [],
					origin: { file: HA, line: 5, section: 'lan', type: 'vrrp' },
				},
			],
			wan: {
				interface: 'wan',
				device: 'hawan',
				parent: 'eth1',
				macaddr: '02:68:61:00:00:01',
				mode: 'private',
				proto: 'dhcp',
				requestAddress: null,
				snatSources: [{ address: '192.168.1.0', prefix: 24, family: 4 }],
			},
			sync: {
				interface: 'lan',
				device: 'br-lan',
				localAddress: '192.168.1.2',
				peerAddress: '192.168.1.3',
				transport: 'udp',
				multicastGroup: '225.0.0.50',
				port: 3780,
				externalCache: false,
			},
			sites: [],
			services: [],
		});
	});

	it('returns a deep-frozen model', () => {
		const m = build(BASE).model!;
		expect(Object.isFrozen(m)).toBe(true);
		expect(Object.isFrozen(m.groups[0]!.vips[0])).toBe(true);
		expect(Object.isFrozen(m.node.services)).toBe(true);
	});

	it('reads every option it documents', () => {
		const ha = applyUciEdits(BASE, HA, [
			{ op: 'set', section: 'node', option: 'state', value: 'master' },
			{ op: 'set', section: 'node', option: 'preempt_delay', value: '30' },
			{ op: 'list', section: 'node', option: 'service', values: ['dnsmasq'] },
			{ op: 'set', section: 'node', option: 'vip_route_fix', value: 'no' },
			{ op: 'set', section: 'node', option: 'split_brain_damping', value: '5' },
			{ op: 'set', section: 'node', option: 'platform', value: 'linux' },
			{ op: 'set', section: 'node', option: 'log_level', value: 'debug' },
			{ op: 'set', section: 'lan', option: 'version', value: '2' },
			{ op: 'set', section: 'lan', option: 'advert_int', value: '2' },
			{ op: 'set', section: 'lan', option: 'auth_type', value: 'pass' },
			{ op: 'set', section: 'lan', option: 'auth_pass', value: 's3cret' },
			{ op: 'list', section: 'lan', option: 'vip', values: ['192.168.1.1', '10.9.9.9/32 dev eth3'] },
			{ op: 'list', section: 'lan', option: 'track_interface', values: ['eth1', 'lan1'] },
			{ op: 'set', section: 'wan', option: 'mode', value: 'bridge' },
			{ op: 'set', section: 'wan', option: 'device', value: 'wanmv' },
			{ op: 'set', section: 'wan', option: 'request_address', value: '203.0.113.7' },
			{ op: 'list', section: 'wan', option: 'snat_source', values: ['192.168.1.77/24', '10.0.0.0/8'] },
			{ op: 'set', section: 'sync', option: 'interface', value: 'sync' },
			{ op: 'set', section: 'sync', option: 'peer', value: '10.99.0.2' },
			{ op: 'set', section: 'sync', option: 'port', value: '3781' },
			{ op: 'set', section: 'sync', option: 'external_cache', value: '1' },
		]);
		const r = build(ha);
		expect(r.issues.filter((i) => i.severity === 'error').map(formatIssue)).toEqual([]);
		const m = r.model!;
		expect(m.node).toMatchObject({ initialState: 'MASTER', preemptDelay: 30, services: ['dnsmasq'], vipRouteFix: false, splitBrainDampingS: 5, platform: 'linux', logLevel: 'debug' });
		expect(m.groups[0]).toMatchObject({
			version: 2,
			advertIntMs: 2000,
			auth: { type: 'pass', password: 's3cret' },
			vips: [
				{ address: '192.168.1.1', prefix: 24, family: 4, device: 'br-lan' },
				{ address: '10.9.9.9', prefix: 32, family: 4, device: 'eth3' },
			],
			trackInterfaces: ['eth1', 'lan1'],
		});
		expect(m.wan).toMatchObject({ mode: 'bridge', device: 'wanmv', requestAddress: '203.0.113.7' });
		expect(m.wan!.snatSources).toEqual([
			{ address: '192.168.1.0', prefix: 24, family: 4 },
			{ address: '10.0.0.0', prefix: 8, family: 4 },
		]);
		expect(m.sync).toMatchObject({ interface: 'sync', device: 'eth2', localAddress: '10.99.0.1', peerAddress: '10.99.0.2', port: 3781, externalCache: true });
	});

	it('builds IPv6 instances with sub-second v3 adverts and sorts groups by name', () => {
		const ha = applyUciEdits(BASE, HA, [
			{ op: 'section', type: 'vrrp', name: 'lan6' },
			{ op: 'set', section: 'lan6', option: 'interface', value: 'lan' },
			{ op: 'set', section: 'lan6', option: 'vrid', value: '51' },
			{ op: 'set', section: 'lan6', option: 'advert_int', value: '0.05' },
			{ op: 'list', section: 'lan6', option: 'vip', values: ['FD00:1:0:0::1/64'] },
			{ op: 'section', type: 'vrrp', name: 'a_first' },
			{ op: 'set', section: 'a_first', option: 'interface', value: 'sync' },
			{ op: 'set', section: 'a_first', option: 'vrid', value: '7' },
			{ op: 'list', section: 'a_first', option: 'vip', values: ['10.99.0.3'] },
		]);
		const r = build(ha);
		expect(r.issues.filter((i) => i.severity === 'error').map(formatIssue)).toEqual([]);
		expect(r.model!.groups.map((g) => g.name)).toEqual(['a_first', 'lan', 'lan6']);
		expect(r.model!.groups[2]).toMatchObject({ address: { address: 'fd00:1::2', prefix: 64, family: 6 }, advertIntMs: 50, vips: [{ address: 'fd00:1::1', prefix: 64, family: 6 }] });
		expect(r.model!.groups[0]!.vips[0]).toMatchObject({ address: '10.99.0.3', prefix: 30, device: 'eth2' });
	});

	it('resolves legacy ifname + type bridge interfaces to br-<name>', () => {
		const r = build(BASE.replace(/config sync[^]*$/, ''), LEGACY_NETWORK);
		expect(r.issues.filter((i) => i.severity === 'error').map(formatIssue)).toEqual([]);
		expect(r.model!.groups[0]).toMatchObject({ device: 'br-lan', address: { address: '192.168.1.2', prefix: 24 } });
		expect(r.model!.sync).toBeNull();
		expect(r.issues.map((i) => i.code)).toEqual(['SYNC_DISABLED']);
	});

	it('warns that there is no peer link only when neither the sync nor any VRRP instance names a unicast peer', () => {
		const noVrrpPeer = BASE.replace("\tlist unicast_peer '192.168.1.3'\n", '');
		expect(build(noVrrpPeer).issues.map((i) => i.code)).not.toContain('NO_PEER_LINK');
		const multicast = noVrrpPeer.replace("\toption peer '192.168.1.3'\n", "\toption transport 'multicast'\n");
		const r = build(multicast);
		expect(r.model).not.toBeNull();
		expect(r.issues.filter((i) => i.code === 'NO_PEER_LINK').map((i) => [i.severity, i.message])).toEqual([
			['warning', "no unicast peer address (sync 'peer' or a VRRP 'unicast_peer'): no split-brain guard, and 'ha-router switchover' cannot ask the peer"],
		]);
		expect(build(BASE.replace("\toption peer '192.168.1.3'\n", "\toption transport 'multicast'\n")).issues.map((i) => i.code)).not.toContain('NO_PEER_LINK');
	});

	it('leaves sync and wan out when disabled', () => {
		const ha = applyUciEdits(BASE, HA, [
			{ op: 'set', section: 'sync', option: 'enabled', value: '0' },
			{ op: 'set', section: 'wan', option: 'enabled', value: 'off' },
		]);
		const m = build(ha).model!;
		expect([m.wan, m.sync]).toEqual([null, null]);
	});

	it('warns about reserved section types but still builds', () => {
		const r = build(`${BASE}\nconfig switchover 'planned'\n\toption at '03:00'\n`);
		expect(r.model).not.toBeNull();
		expect(r.issues.map(formatIssue)).toEqual([`${HA}:19: switchover 'planned': warning: section type 'switchover' is reserved for a later version of ha-router and is ignored [RESERVED_SECTION]`]);
	});

	it('warns, without failing, about a globally administered MAC and a master with nopreempt', () => {
		const ha = applyUciEdits(BASE, HA, [
			{ op: 'set', section: 'wan', option: 'macaddr', value: '00:11:22:33:44:55' },
			{ op: 'set', section: 'node', option: 'nopreempt', value: '1' },
			{ op: 'set', section: 'node', option: 'state', value: 'master' },
		]);
		const r = build(ha);
		expect(r.model).not.toBeNull();
		expect(r.issues.map((i) => `${i.severity} ${i.at.line} ${i.code}`)).toEqual(['warning 5 NOPREEMPT_MASTER', 'warning 15 MAC_NOT_LOCAL']);
	});
});
