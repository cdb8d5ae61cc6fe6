import { describe, expect, it } from 'vitest';
import { formatIp, inSubnet, netmaskPrefix, networkOf, parseCidr, parseIp, parseIpv4, parseIpv6 } from '../../../src/config/ip.ts';

describe('IPv4', () => {
	it.each(['192.168.1.1', '0.0.0.0', '255.255.255.255'])('accepts %s', (s) => expect(formatIp(parseIpv4(s)!)).toBe(s));
	it.each(['192.168.1', '192.168.1.256', '01.2.3.4', '1.2.3.4.5', ' 1.2.3.4', '1..2.3', '+1.2.3.4', ''])('rejects %j', (s) => expect(parseIpv4(s)).toBeNull());
	it('converts netmasks', () => {
		expect([netmaskPrefix('255.255.255.0'), netmaskPrefix('255.255.254.0'), netmaskPrefix('0.0.0.0'), netmaskPrefix('255.0.255.0')]).toEqual([24, 23, 0, null]);
	});
});

describe('IPv6', () => {
	it.each([
		['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
		['::', '::'],
		['::1', '::1'],
		['fe80::', 'fe80::'],
		['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
		['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
		['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
		['::ffff:192.168.1.1', '::ffff:c0a8:101'],
		['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
	])('%s -> %s (RFC 5952)', (s, want) => expect(formatIp(parseIpv6(s)!)).toBe(want));
	it.each(['1:2:3:4:5:6:7:8:9', '1::2::3', 'g::1', '12345::', '1:2:3:4:5:6:7', '::1.2.3', '1.2.3.4::', ':1:2:3:4:5:6:7'])('rejects %j', (s) => expect(parseIpv6(s)).toBeNull());
});

describe('prefixes', () => {
	it('parses and tests membership', () => {
		const net = parseCidr('192.168.1.77/24')!;
		expect(networkOf(net)).toEqual({ address: '192.168.1.0', prefix: 24, family: 4 });
		expect(inSubnet(parseIp('192.168.1.200')!, net)).toBe(true);
		expect(inSubnet(parseIp('192.168.2.1')!, net)).toBe(false);
		expect(inSubnet(parseIp('10.1.2.3')!, parseCidr('10.0.0.0/7')!)).toBe(true);
		expect(inSubnet(parseIp('fd00:1::5')!, parseCidr('fd00:1::/64')!)).toBe(true);
		expect(inSubnet(parseIp('fd00:2::5')!, parseCidr('fd00:1::/64')!)).toBe(false);
		expect(networkOf(parseCidr('fd00:1:2:3:4::1/50')!).address).toBe('fd00:1:2::');
	});
	it('requires a prefix unless told otherwise', () => {
		expect(parseCidr('10.0.0.1')).toBeNull();
		expect(parseCidr('10.0.0.1', 'host')).toEqual({ address: '10.0.0.1', prefix: 32, family: 4 });
		expect(parseCidr('10.0.0.1/33')).toBeNull();
		expect(parseCidr('::1/129')).toBeNull();
		expect(parseCidr('10.0.0.1/08')).toBeNull();
	});
});
