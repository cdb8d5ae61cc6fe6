// Logical interfaces as netifd sets them up from /etc/config/network.
import { describe, expect, it } from 'vitest';
import { readNetwork } from '../../../src/config/network.ts';
import { parseUci } from '../../../src/config/uci-parse.ts';
import { LEGACY_NETWORK, NETWORK } from './fixtures.ts';

const net = (text: string) => readNetwork(parseUci(text, 'network'));

describe('readNetwork', () => {
	it('reads 21.02+ interfaces: device, netmask, list ipaddr, ip6addr', () => {
		const n = net(NETWORK);
		expect(n.get('lan')).toEqual({
			name: 'lan',
			device: 'br-lan',
			alias: null,
			ports: ['lan1', 'lan2'],
			proto: 'static',
			ipv4: [{ address: '192.168.1.2', prefix: 24, family: 4 }],
			ipv6: [{ address: 'fd00:1::2', prefix: 64, family: 6 }],
			line: 17,
		});
		expect(n.get('sync')).toMatchObject({ device: 'eth2', ipv4: [{ address: '10.99.0.1', prefix: 30 }] });
		expect(n.get('wan')).toMatchObject({ device: 'eth1', proto: 'dhcp', ipv4: [], ipv6: [] });
		expect([...n.keys()]).toEqual(['loopback', 'lan', 'wan', 'wan6', 'sync']);
	});
	it('reads legacy bridges and several ifnames in one value', () => {
		const n = net(LEGACY_NETWORK);
		expect(n.get('lan')).toMatchObject({ device: 'br-lan', ipv4: [{ address: '192.168.1.2', prefix: 24 }] });
		expect(n.get('wan')?.device).toBe('eth0.2');
		expect(n.get('lan')?.ports).toEqual(['eth0.1', 'eth0.3']);
	});
	it('follows @alias devices and takes several addresses in order', () => {
		const n = net(`config interface 'wan'
	option device 'eth1'
	option proto 'dhcp'

config interface 'wanalias'
	option device '@wan'
	option proto 'static'
	option ipaddr '203.0.113.5/28 203.0.113.6/28'
	option ip6addr '2001:db8::5'

config interface 'ghost'
	option proto 'static'
	option ipaddr '10.0.0.1'
`);
		expect(n.get('wanalias')).toMatchObject({
			device: 'eth1',
			alias: 'wan',
			ports: [],
			ipv4: [
				{ address: '203.0.113.5', prefix: 28 },
				{ address: '203.0.113.6', prefix: 28 },
			],
			ipv6: [{ address: '2001:db8::5', prefix: 128 }],
		});
		expect(n.get('ghost')).toMatchObject({ device: null, ipv4: [{ address: '10.0.0.1', prefix: 32 }] });
	});
	it('ignores addresses of non-static interfaces and invalid ones', () => {
		const n = net("config interface 'x'\n\toption device 'eth3'\n\toption proto 'static'\n\toption ipaddr '10.0.0.300'\n\tlist ipaddr '10.0.0.1/24'\n\toption netmask '255.0.255.0'\n");
		expect(n.get('x')?.ipv4).toEqual([{ address: '10.0.0.1', prefix: 24, family: 4 }]);
	});
});
