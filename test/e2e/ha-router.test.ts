// ha-router on the emulated testbed: skipped until `dist/ha-router.js apply` exists (lib/ha-router-node.ts).
// The same scenarios as the baseline, with ha-router's promises asserted: every stream kept (no reset, in order)
// through a master crash AND a master LAN-link fault (SNAT, not masquerade), one master, role services on one node.
import { describe, expect, it } from 'vitest';
import { haRouterStack, haRouterUnavailable } from './lib/ha-router-node.ts';
import { expectCleanStop, expectOneRoleHolder, expectTakeover } from './lib/promises.ts';
import { runScenario } from './lib/scenarios.ts';
import { summary } from './lib/traffic.ts';
import { report } from './lib/exec.ts';

const STREAMS = 50;
const skip = process.getuid?.() !== 0 || haRouterUnavailable() !== undefined;

describe.skipIf(skip)(`ha-router pair on the testbed${skip ? ` (skipped: ${haRouterUnavailable() ?? 'not root'})` : ''}`, () => {
	for (const scenario of ['master-crash', 'master-lan-fault'] as const) {
		it(`keeps every TCP stream through ${scenario}`, async () => {
			const r = await runScenario(haRouterStack, scenario, { streams: STREAMS, settleMs: 3_000, log: report });
			report(JSON.stringify({ ...r, traffic: r.traffic && summary(r.traffic) }));
			expectTakeover(r, STREAMS);
		}, 120_000);
	}

	it('hands over completely when keepalived is stopped on the master', async () => {
		const r = await runScenario(haRouterStack, 'keepalived-stop', { streams: STREAMS, settleMs: 3_000, log: report });
		report(JSON.stringify({ ...r, traffic: r.traffic && summary(r.traffic) }));
		expectCleanStop(r, STREAMS);
	}, 120_000);

	it('resets no session while a VRRP cut makes both nodes master', async () => {
		const r = await runScenario(haRouterStack, 'vrrp-cut', { streams: STREAMS, settleMs: 3_000, log: report });
		report(JSON.stringify({ ...r, traffic: r.traffic && summary(r.traffic) }));
		expect(r.doubleMasterMs).toBeGreaterThan(0);
		expect(r.traffic!.tcp.reset).toBe(0);
		expect(r.traffic!.tcp.survived).toBe(STREAMS);
		expect(r.wanHolders).toHaveLength(1);
	}, 120_000);

	it('runs role services on exactly one node when both boot at once', async () => {
		const r = await runScenario(haRouterStack, 'boot-together', { streams: 10, log: report });
		report(JSON.stringify({ ...r, traffic: r.traffic && summary(r.traffic) }));
		expectOneRoleHolder(r);
	}, 120_000);
});
