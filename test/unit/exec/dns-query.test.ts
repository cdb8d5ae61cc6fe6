// The DNS probe's query and answer matching (src/exec/dns-query.ts).
import { describe, expect, it } from 'vitest';
import { dnsQuery, dnsResponseId } from '../../../src/exec/dns-query.ts';

const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

describe('dnsQuery', () => {
	it('asks for the root NS records with recursion desired, under the given id', () => {
		expect(hex(dnsQuery(0xbeef))).toBe('beef' + '0100' + '0001' + '0000' + '0000' + '0000' + '00' + '0002' + '0001');
	});
});

describe('dnsResponseId', () => {
	it('reads the id of any response, whatever its rcode', () => {
		const refused = dnsQuery(0x1234);
		refused[2] = 0x81;
		refused[3] = 0x85; // QR, RD, RA, REFUSED
		expect(dnsResponseId(refused)).toBe(0x1234);
	});

	it('refuses a query (QR clear) and anything shorter than a header', () => {
		expect(dnsResponseId(dnsQuery(7))).toBeNull();
		expect(dnsResponseId(new Uint8Array(11).fill(0xff))).toBeNull();
	});
});
