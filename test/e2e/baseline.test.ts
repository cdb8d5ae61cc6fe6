// The seed-style baseline pair on the emulated testbed (short version; test/bench/failover.mjs is the long one).
// It pins the baseline's known behaviour so the comparison with ha-router stays honest: conntrackd FTFW carries the
// sessions through a hard crash of the master, and masquerade loses them when the master's LAN link fails (the
// kernel flushes the masqueraded entries and conntrackd replicates the deletions to the new master).
// Timings are reported, not asserted.
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { seedStack } from './baseline/seed.ts';
import { runScenario } from './lib/scenarios.ts';
import { listNetns } from './lib/testbed.ts';
import { summary } from './lib/traffic.ts';
import { report } from './lib/exec.ts';

const STREAMS = 50;
const isRoot = process.getuid?.() === 0;
const ours = (name: string): boolean => name.startsWith(`hr7${process.pid.toString(36)}x`);

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
		expect(r.flowsAtTakeover).toBe(STREAMS);
		expect(r.roleHolders).toEqual(['r1']);
	}, 120_000);

	it('loses the synced sessions on a master LAN-link fault (masquerade: the known failure)', async () => {
		const r = await runScenario(seedStack, 'master-lan-fault', { streams: STREAMS, log: report });
		report(JSON.stringify({ ...r, traffic: r.traffic && summary(r.traffic) }));
		expect(r.masterAfter).toBe('r1');
		expect(r.wanAfter).toBe(r.wanBefore);
		const tcp = r.traffic!.tcp;
		expect(tcp.streams).toBe(STREAMS);
		expect(tcp.bytesMismatched).toBe(0);
		// The baseline's known behaviour: the old master's FAULT takes its WAN down, the kernel flushes the masqueraded
		// entries and conntrackd replicates the deletions, so the new master takes over with none of the sessions.
		expect(r.flowsAtTakeover).toBe(0);
		// What the streams then see is a race, so it is reported, not asserted: when a server retransmission reaches
		// the new master first, its own stack resets the session; when the client's comes first, loose pickup and
		// masquerade (same address, same port) revive it. Measured here: 0/50 kept in every 50-stream run, 59, 145
		// and 200 of 200 in three 200-stream runs.
		report(`baseline master-lan-fault: ${tcp.survived}/${STREAMS} streams kept, ${tcp.reset} reset`);
	}, 120_000);

	it('leaves no namespaces, processes or temp directories behind', () => {
		expect(listNetns().filter(ours)).toEqual([]);
		expect(readdirSync(process.env.HR_TESTBED_TMP ?? tmpdir()).filter(ours)).toEqual([]);
	});
});
