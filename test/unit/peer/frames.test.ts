// The two raw formats the agent handles itself: the gratuitous ARP it sends when a split brain ends,
// and the rtnetlink address events it reads to see keepalived add or remove a VIP.
import { describe, expect, it } from 'vitest';
import { IPV4_ADDRESS_GROUP, parseAddressEvents } from '../../../src/peer/addr-events.ts';
import { garpFrame } from '../../../src/peer/garp.ts';

const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

describe('garpFrame', () => {
	it('is a broadcast ARP request from the address for itself', () => {
		const f = garpFrame('02:68:61:00:00:01', '192.168.1.1');
		expect(f.length).toBe(42);
		expect(hex(f)).toBe(
			'ffffffffffff' + '026861000001' + '0806' + // Ethernet: broadcast, our MAC, ARP
				'0001' + '0800' + '06' + '04' + '0001' + // Ethernet/IPv4, request
				'026861000001' + 'c0a80101' + // sender: our MAC, the address
				'000000000000' + 'c0a80101', // target: the same address
		);
	});

	it.each([
		['02:68:61:00:00', '192.168.1.1'],
		['02:68:61:00:00:zz', '192.168.1.1'],
		['02:68:61:00:00:01', '192.168.1'],
		['02:68:61:00:00:01', '192.168.1.300'],
	])('refuses %s %s', (mac, ip) => {
		expect(() => garpFrame(mac, ip)).toThrow(/no ARP frame/);
	});
});

/** One rtnetlink message: header (len, type, flags, seq, pid), ifaddrmsg, then attributes. */
function nlmsg(type: number, family: number, attrs: [number, number[]][]): number[] {
	const body = [family, 24, 0, 0, 3, 0, 0, 0];
	for (const [t, data] of attrs) {
		const len = 4 + data.length;
		body.push(len & 0xff, len >> 8, t & 0xff, t >> 8, ...data);
		while (body.length % 4) body.push(0);
	}
	const len = 16 + body.length;
	return [len & 0xff, (len >> 8) & 0xff, 0, 0, type, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, ...body];
}

describe('parseAddressEvents', () => {
	it('subscribes to the IPv4 address group', () => {
		expect(IPV4_ADDRESS_GROUP).toBe(0x10);
	});

	it('reads added and removed IPv4 addresses, IFA_LOCAL first, several messages per datagram', () => {
		const buf = new Uint8Array([
			...nlmsg(20, 2, [[1, [192, 168, 1, 1]], [2, [192, 168, 1, 1]]]),
			...nlmsg(21, 2, [[1, [198, 51, 100, 7]]]),
			...nlmsg(20, 2, [[1, [10, 0, 0, 255]], [2, [10, 0, 0, 1]]]),
		]);
		expect(parseAddressEvents(buf)).toEqual([
			{ added: true, address: '192.168.1.1' },
			{ added: false, address: '198.51.100.7' },
			{ added: true, address: '10.0.0.1' },
		]);
	});

	it('ignores IPv6 addresses, other message types and a truncated message', () => {
		const v6 = nlmsg(20, 10, [[1, [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]]]);
		const link = nlmsg(16, 2, [[1, [192, 168, 1, 1]]]);
		const whole = nlmsg(21, 2, [[2, [192, 168, 1, 1]]]);
		expect(parseAddressEvents(new Uint8Array([...v6, ...link, ...whole]))).toEqual([{ added: false, address: '192.168.1.1' }]);
		expect(parseAddressEvents(new Uint8Array(whole.slice(0, whole.length - 4)))).toEqual([]);
	});
});
