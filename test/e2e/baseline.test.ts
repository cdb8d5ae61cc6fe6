// The seed-style baseline pair on the emulated testbed (short version; test/bench/failover.mjs is the long one).
// It pins the baseline's known behaviour so the comparison with ha-router stays honest: conntrackd FTFW keeps the
// streams through a hard crash of the master, and masquerade loses them when the master's LAN link fails (the
// kernel flushes the masqueraded entries and conntrackd replicates the deletions to the new master).
// Timings are reported, not asserted.
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { seedStack } from './baseline/seed.ts';
import { runScenario } from './lib/scenarios.ts';
import { listNetns } from './lib/testbed.ts';
import { summary } from './lib/traffic.ts';

const STREAMS = 50;
const isRoot = process.getuid?.() === 0;
const ours = (name: string): boolean => name.startsWith(`hr7${process.pid.toString(36)}x`);
const report = (s: string): void => {
	process.stderr.write(`${s}\n`);
};

describe.skipIf(!isRoot)('seed-style baseline pair (keepalived advert 1 s, conntrackd FTFW, masquerade)', () => {
	it('keeps every TCP stream through a master crash', async () => {
		const r = await runScenario(seedStack, 'master-crash', { streams: STREAMS, log: report });
		report(JSON.stringify({ ...r, traffic: r.traffic && summary(r.traffic) }));
		expect(r.notes).toEqual([]);
		expect(r.masterBefore).toBe('r0');
		expect(r.masterAfter).toBe('r1');
		expect(r.wanAfter).toBe(r.wanBefore);
		const tcp = r.traffic!.tcp;
		expect(tcp.streams).toBe(STREAMS);
		expect(tcp.reset).toBe(0);
		expect(tcp.bytesMismatched).toBe(0);
		expect(tcp.survived).toBe(STREAMS);
		expect(r.roleHolders).toEqual(['r1']);
	}, 120_000);

	it('loses the TCP streams on a master LAN-link fault (masquerade: the known failure)', async () => {
		const r = await runScenario(seedStack, 'master-lan-fault', { streams: STREAMS, log: report });
		report(JSON.stringify({ ...r, traffic: r.traffic && summary(r.traffic) }));
		expect(r.masterAfter).toBe('r1');
		expect(r.wanAfter).toBe(r.wanBefore);
		const tcp = r.traffic!.tcp;
		expect(tcp.streams).toBe(STREAMS);
		expect(tcp.bytesMismatched).toBe(0);
		// The baseline's known behaviour: sessions die, reset by the new master. How many is a race (the old master's
		// flush, replicated by conntrackd, against the new master's commit): all 50 in most runs here, 141 of 200 in
		// one long run. What is pinned is that masquerade loses sessions in this scenario.
		expect(tcp.survived).toBeLessThan(STREAMS);
		expect(tcp.reset).toBeGreaterThan(0);
	}, 120_000);

	it('leaves no namespaces, processes or temp directories behind', () => {
		expect(listNetns().filter(ours)).toEqual([]);
		expect(readdirSync(process.env.HR_TESTBED_TMP ?? tmpdir()).filter(ours)).toEqual([]);
	});
});
