// Handles one queued event: plan, execute, record the outcome in /var/run/ha-router/state.json.
import type { Model, VrrpState } from '../model/types.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { planTransition } from '../plan/plan-transition.ts';
import type { StateEvent } from '../plan/event.ts';
import { readJson } from './read-json.ts';
import type { Effects } from './effects.ts';
import type { QueuedEvent } from './event-queue.ts';
import { executePlan, type StepResult } from './execute-plan.ts';

export interface NodeState {
	/** Order key of the last event handled (see event-queue.ts). */
	readonly key: string;
	readonly role: VrrpState;
	/** Wall-clock ms since this role began. */
	readonly since: number;
	readonly event: StateEvent;
	readonly transition: {
		readonly started: number;
		readonly ms: number;
		readonly ok: boolean;
		readonly steps: readonly StepResult[];
	};
	/** The same role announced again since that transition (keepalived repeats on reload): nothing ran. */
	readonly repeated?: { readonly count: number; readonly last: number };
	/** The last role changes, newest first (status and LuCI's timeline); gone with /var/run at a reboot. */
	readonly history?: readonly RoleChange[];
}

export interface RoleChange {
	readonly role: VrrpState;
	/** Wall-clock ms when its transition started. */
	readonly at: number;
	readonly ms: number;
	readonly ok: boolean;
}

/** Enough for "what happened today" on a page; the state file stays small. */
export const HISTORY_MAX = 10;

export function readNodeState(rt: Runtime, stateFile: string): Promise<NodeState | null> {
	return readJson<NodeState>(rt, stateFile);
}

export async function runTransition(
	rt: Runtime,
	model: Model,
	stateFile: string,
	fx: Effects,
	q: QueuedEvent,
	superseded: () => Promise<boolean>,
): Promise<NodeState> {
	const ev = q.event;
	const last = await readNodeState(rt, stateFile);
	const started = rt.wallClock();
	const t0 = rt.now();
	// The same state again after a complete transition changes nothing: keepalived repeats
	// notifies on reload. After a failed one the plan runs again to repair what failed.
	const repeated = last !== null && last.role === ev.state && last.transition.ok;
	let steps: StepResult[] = [];
	if (repeated) {
		await rt.syslog('info', `${ev.state} again (${ev.type} ${ev.name}); already in force`);
	} else {
		await rt.syslog('notice', `becoming ${ev.state} (${ev.type} ${ev.name || '-'} priority ${ev.priority})`);
		steps = await executePlan(rt, planTransition(model, ev), fx, {
			superseded,
			log: (level, msg) => void rt.syslog(level, msg),
		});
	}
	const failed = steps.filter((s) => s.status === 'failed');
	const ms = Math.round((rt.now() - t0) * 10) / 10;
	const ok = failed.length === 0 && !steps.some((s) => s.status === 'skipped');
	// A repeat keeps the transition that really ran, so status still shows its steps and timings.
	const state: NodeState =
		repeated && last
			? { ...last, key: q.key, event: ev, repeated: { count: (last.repeated?.count ?? 0) + 1, last: started } }
			: {
					key: q.key,
					role: ev.state,
					since: last && last.role === ev.state ? last.since : started,
					event: ev,
					transition: { started, ms, ok, steps },
					history: [{ role: ev.state, at: started, ms, ok }, ...(last?.history ?? [])].slice(0, HISTORY_MAX),
				};
	await rt.writeFileAtomic(stateFile, `${JSON.stringify(state, null, 1)}\n`, 0o644, false);
	if (!repeated) {
		const summary = steps.map((s) => `${s.kind}${s.target ? `(${s.target})` : ''} ${s.status} ${s.ms}ms`).join(', ');
		await rt.syslog(failed.length ? 'err' : 'info', `${ev.state} in ${state.transition.ms} ms: ${summary}`);
	}
	return state;
}
