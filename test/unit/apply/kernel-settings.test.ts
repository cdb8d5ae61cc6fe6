import { describe, expect, it } from 'vitest';
import { kernelSettings } from '../../../src/apply/kernel-settings.ts';
import { pairModel } from '../plan/fixture.ts';

describe('kernel settings apply makes', () => {
	it('liberal TCP tracking with sync, and arp_ignore 1 on the WAN port (slash form: device names may hold dots)', () => {
		const m = pairModel();
		expect(kernelSettings({ ...m, wan: { ...m.wan!, parent: 'eth0.2' } })).toEqual([
			['net/netfilter/nf_conntrack_tcp_be_liberal', '1'],
			['net/ipv4/conf/eth0.2/arp_ignore', '1'],
		]);
		expect(kernelSettings(pairModel({ sync: false, wan: false }))).toEqual([]);
	});
});
