// Runs a plan's steps in order, timing each. A failed step is recorded and, with onError
// 'continue', the rest still run: a transition always ends in a whole role, never half of one.
import type { Runtime } from '../runtime/runtime.ts';
import type { Step } from '../plan/steps.ts';
import { ServiceNotInstalled } from '../system/platform.ts';
import type { Effects } from './effects.ts';
import { withTimeout } from '../util/with-timeout.ts';

export interface StepResult {
	readonly kind: Step['kind'];
	/** The service, address or hotplug action the step was about. */
	readonly target?: string;
	/** 'absent': a role service without an init script (a warning, not a failed transition). */
	readonly status: 'ok' | 'failed' | 'skipped' | 'absent';
	readonly ms: number;
	readonly error?: string;
}

export interface ExecuteOptions {
	/** Checked between steps: true stops the plan because a newer event is waiting. */
	superseded?: () => Promise<boolean>;
	log?: (level: 'info' | 'err', message: string) => void;
}

function target(step: Step): string | undefined {
	switch (step.kind) {
		case 'service-start':
		case 'service-stop':
			return step.name;
		case 'vip-route-source':
		case 'vip-route-restore':
			return step.address;
		case 'hotplug-keepalived':
			return step.env.ACTION;
		default:
			return undefined;
	}
}

function run(step: Step, fx: Effects): Promise<void> {
	switch (step.kind) {
		case 'conntrackd-commit':
			return fx.conntrackd('commit');
		case 'conntrackd-flush-caches':
			return fx.conntrackd('flush');
		case 'conntrackd-resync-kernel':
			return fx.conntrackd('resync');
		case 'conntrackd-bulk-send':
			return fx.conntrackd('bulk');
		case 'conntrackd-shorten-timers':
			return fx.conntrackd('shorten');
		case 'conntrackd-request-resync':
			return fx.conntrackd('request');
		case 'wan-up':
			return fx.wanUp();
		case 'snat-update':
			return fx.snatUpdate();
		case 'wan-down':
			return fx.wanDown();
		case 'vip-route-source':
			return fx.vipRouteSource(step.address, step.device, step.source);
		case 'vip-route-restore':
			return fx.vipRouteRestore(step.address, step.device);
		case 'peer-left-master':
			return fx.peerLeftMaster(step.timeoutMs - 500);
		case 'service-start':
			return fx.platform.service(step.name, 'start');
		case 'service-stop':
			return fx.platform.service(step.name, 'stop');
		case 'hotplug-keepalived':
			return fx.platform.hotplugCall('keepalived', step.env);
	}
}

export async function executePlan(rt: Runtime, steps: readonly Step[], fx: Effects, opts: ExecuteOptions = {}): Promise<StepResult[]> {
	const results: StepResult[] = [];
	let stopped = false;
	for (const step of steps) {
		const t = target(step);
		const base = { kind: step.kind, ...(t === undefined ? {} : { target: t }) };
		if (stopped || (opts.superseded && (await opts.superseded()))) {
			stopped = true;
			results.push({ ...base, status: 'skipped', ms: 0, error: 'superseded by a newer event' });
			continue;
		}
		const t0 = rt.now();
		const elapsed = () => Math.round((rt.now() - t0) * 10) / 10;
		try {
			await withTimeout(run(step, fx), step.timeoutMs, `timed out after ${step.timeoutMs} ms`);
			results.push({ ...base, status: 'ok', ms: elapsed() });
		} catch (e) {
			const error = e instanceof Error ? e.message : String(e);
			// A role service the router lacks is a warning (status shows it), never a failed transition.
			const absent = e instanceof ServiceNotInstalled;
			results.push({ ...base, status: absent ? 'absent' : 'failed', ms: elapsed(), error });
			if (absent) continue;
			opts.log?.('err', `step ${step.kind}${t ? ` ${t}` : ''} failed: ${error}`);
			if (step.onError === 'abort') stopped = true;
		}
	}
	return results;
}
