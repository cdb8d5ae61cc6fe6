import { describe, expect, it } from 'vitest';
import { executePlan } from '../../../src/exec/execute-plan.ts';
import { ServiceNotInstalled } from '../../../src/system/platform.ts';
import { planTransition } from '../../../src/plan/plan-transition.ts';
import type { Step } from '../../../src/plan/steps.ts';
import { nodeRuntime } from '../../support/node-runtime.ts';
import { pairModel } from '../plan/fixture.ts';
import { fakeEffects } from './fake-effects.ts';

const master = planTransition(pairModel(), { type: 'INSTANCE', name: 'lan', state: 'MASTER', priority: 150 });

describe('executePlan', () => {
	it('runs every step in order through the effects', async () => {
		const { fx, calls } = fakeEffects();
		const res = await executePlan(nodeRuntime(), master, fx);
		expect(calls).toEqual([
			'wanUp',
			'snatUpdate',
			'route 192.168.1.1 br-lan src 192.168.1.2',
			'peerLeftMaster',
			'service dnsmasq start',
			'service odhcpd start',
			'service miniupnpd start',
			'conntrackd flush',
			'conntrackd resync',
			'conntrackd bulk',
			'hotplug keepalived NOTIFY_MASTER',
		]);
		expect(res.every((r) => r.status === 'ok' && r.ms >= 0)).toBe(true);
		expect(res.map((r) => r.target).filter(Boolean)).toEqual(['192.168.1.1', 'dnsmasq', 'odhcpd', 'miniupnpd', 'NOTIFY_MASTER']);
	});
	it('records a failed step and goes on with the rest', async () => {
		const { fx, calls } = fakeEffects(['wanUp', 'service odhcpd start']);
		const logs: string[] = [];
		const res = await executePlan(nodeRuntime(), master, fx, { log: (_l, m) => logs.push(m) });
		expect(calls).toHaveLength(master.length);
		expect(res.filter((r) => r.status === 'failed').map((r) => [r.kind, r.error])).toEqual([
			['wan-up', 'wanUp broke'],
			['service-start', 'service odhcpd start broke'],
		]);
		expect(logs).toEqual(['step wan-up failed: wanUp broke', 'step service-start odhcpd failed: service odhcpd start broke']);
	});
	it('stops after a failed step whose policy is abort', async () => {
		const steps: Step[] = master.map((s, i) => (i === 1 ? { ...s, onError: 'abort' } : s));
		const { fx } = fakeEffects(['snatUpdate']);
		const res = await executePlan(nodeRuntime(), steps, fx);
		expect(res.map((r) => r.status)).toEqual(['ok', 'failed', ...Array(master.length - 2).fill('skipped')]);
	});
	it('fails a step that outlives its timeout', async () => {
		const { fx } = fakeEffects([], 200);
		const res = await executePlan(nodeRuntime(), [{ ...master[0]!, timeoutMs: 20 }], fx);
		expect(res[0]).toMatchObject({ status: 'failed', error: 'timed out after 20 ms' });
	});
	it('skips the remaining steps once a newer event supersedes the plan', async () => {
		const { fx, calls } = fakeEffects();
		let n = 0;
		const res = await executePlan(nodeRuntime(), master, fx, { superseded: async () => ++n > 3 });
		expect(calls).toEqual(['wanUp', 'snatUpdate', 'route 192.168.1.1 br-lan src 192.168.1.2']);
		expect(res.slice(3).every((r) => r.status === 'skipped' && r.error === 'superseded by a newer event')).toBe(true);
	});
	it('marks a role service without an init script absent: a warning, not a failed step', async () => {
		const { fx, calls } = fakeEffects();
		fx.platform.service = async (name, action) => {
			calls.push(`service ${name} ${action}`);
			if (name === 'miniupnpd') throw new ServiceNotInstalled(name);
		};
		const res = await executePlan(nodeRuntime(), master, fx);
		expect(res.filter((r) => r.status !== 'ok')).toEqual([{ kind: 'service-start', target: 'miniupnpd', status: 'absent', ms: expect.any(Number), error: 'init: miniupnpd is not installed (no init script)' }]);
		expect(calls).toContain('hotplug keepalived NOTIFY_MASTER');
	});
});
