// Loading a node's Model and platform, shared by the commands that act on the router.
import { ExitError } from '../errors.ts';
import type { Paths } from '../model/paths.ts';
import type { Model } from '../model/types.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { Platform } from '../system/platform.ts';
import { loadConfig } from '../config/load-config.ts';
import { formatIssue } from '../config/issues.ts';
import { createPlatform } from '../system/create-platform.ts';
import type { Handler } from '../exec/event-queue.ts';
import { type NodeState, runTransition } from '../exec/run-transition.ts';
import { systemEffects } from '../exec/system-effects.ts';

/** The validated Model, or exit 1 after printing (and logging) every error. */
export async function loadNode(rt: Runtime, paths: Paths): Promise<Model> {
	const { model, issues } = await loadConfig(rt, paths.configDir);
	if (model) return model;
	const errors = issues.filter((i) => i.severity === 'error').map(formatIssue);
	for (const e of errors) await rt.syslog('err', e);
	throw new ExitError(1, errors.join('\n'));
}

export function openPlatform(rt: Runtime, model: Model, paths: Paths): Promise<Platform> {
	return createPlatform(rt, { name: model.node.platform, paths });
}

/** The queue handler: run one transition for the Model with the real effects. */
export function transitionHandler(rt: Runtime, model: Model, paths: Paths, platform: Platform, onDone?: (st: NodeState) => void): Handler {
	const fx = systemEffects(rt, model, paths, platform);
	return async (q, superseded) => {
		const st = await runTransition(rt, model, paths.stateFile, fx, q, superseded);
		onDone?.(st);
	};
}
