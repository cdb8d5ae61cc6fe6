// The ICMP echo packets the uplink probes send and read (src/runtime/icmp-packet.ts).
import { describe, expect, it } from 'vitest';
import { echoRequest, parseEchoReply } from '../../../src/runtime/icmp-packet.ts';

const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

/** An IPv4 datagram as a raw socket reads it: header (ihl words), then the ICMP message. */
function datagram(icmp: number[], from = [192, 0, 2, 7], ihl = 5): Uint8Array {
	const d = new Uint8Array(ihl * 4 + icmp.length);
	d[0] = 0x40 | ihl;
	d[9] = 1;
	d.set(from, 12);
	d.set([10, 0, 0, 1], 16);
	d.set(icmp, ihl * 4);
	return d;
}

describe('echoRequest', () => {
	it('is type 8 with the id and sequence in network order, a zero checksum and the payload size', () => {
		const p = echoRequest(0x1234, 0xabcd, 4);
		expect(hex(p)).toBe('08000000' + '1234abcd' + '08090a0b');
		expect(echoRequest(1, 2, 56).length).toBe(64);
	});

	it('wraps id and sequence to 16 bits', () => {
		expect(hex(echoRequest(0x11234, 0x10001, 0))).toBe('08000000' + '12340001');
	});
});

describe('parseEchoReply', () => {
	it('reads the sender, id and sequence of an echo reply behind its IP header', () => {
		expect(parseEchoReply(datagram([0, 0, 0xff, 0xff, 0x12, 0x34, 0xab, 0xcd, 1, 2]))).toEqual({ from: '192.0.2.7', id: 0x1234, seq: 0xabcd });
	});

	it('skips IP options (a longer header)', () => {
		expect(parseEchoReply(datagram([0, 0, 0, 0, 0, 7, 0, 9], [198, 51, 100, 1], 6))).toEqual({ from: '198.51.100.1', id: 7, seq: 9 });
	});

	it('refuses anything that is not an echo reply', () => {
		expect(parseEchoReply(datagram([8, 0, 0, 0, 0, 7, 0, 9]))).toBeNull(); // a request (our own, on loopback)
		expect(parseEchoReply(datagram([3, 1, 0, 0, 0, 0, 0, 0]))).toBeNull(); // host unreachable
		expect(parseEchoReply(datagram([0, 0, 0, 0, 0, 7]))).toBeNull(); // cut short
		const udp = datagram([0, 0, 0, 0, 0, 7, 0, 9]);
		udp[9] = 17;
		expect(parseEchoReply(udp)).toBeNull();
		expect(parseEchoReply(new Uint8Array(10))).toBeNull();
	});
});
