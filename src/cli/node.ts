// Loading a node's Model and platform, shared by the commands that act on the router.
import { ExitError } from '../errors.ts';
import type { Paths } from '../model/paths.ts';
import type { Model } from '../model/types.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { Platform } from '../system/platform.ts';
import { readConfigFiles } from '../config/load-config.ts';
import { buildModel } from '../config/build-model.ts';
import { cachedModel, saveModel } from '../exec/model-cache.ts';
import { formatIssue } from '../config/issues.ts';
import { createPlatform } from '../system/create-platform.ts';
import type { Handler } from '../exec/event-queue.ts';
import { type NodeState, runTransition } from '../exec/run-transition.ts';
import { systemEffects } from '../exec/system-effects.ts';

/** The validated Model, or exit 1 after printing (and logging) every error. */
export async function loadNode(rt: Runtime, paths: Paths): Promise<Model> {
	const files = await readConfigFiles(rt, paths.configDir);
	const cached = await cachedModel(rt, paths, files);
	if (cached) return cached;
	const { model, issues } = buildModel(files);
	if (model) {
		await saveModel(rt, paths, files, model);
		return model;
	}
	const errors = issues.filter((i) => i.severity === 'error').map(formatIssue);
	for (const e of errors) await rt.syslog('err', e);
	throw new ExitError(1, errors.join('\n'));
}

/**
 * Under a staging root (--root R) the node is R's OpenWrt: its ubus socket, init scripts and
 * hotplug-call, never the host's (the testbed runs a stand-in userland per node this way).
 */
export function openPlatform(rt: Runtime, model: Model, paths: Paths): Promise<Platform> {
	const r = paths.root;
	if (!r) return createPlatform(rt, { name: model.node.platform, paths });
	return createPlatform(rt, {
		name: model.node.platform,
		paths,
		ubusSocket: `${r}/var/run/ubus/ubus.sock`,
		ubus: { transport: 'socket' },
		openwrt: { initDir: `${r}/etc/init.d`, hotplugCall: `${r}/sbin/hotplug-call` },
	});
}

/** The queue handler: run one transition for the Model with the real effects. */
export function transitionHandler(rt: Runtime, model: Model, paths: Paths, platform: Platform, onDone?: (st: NodeState) => void): Handler {
	const fx = systemEffects(rt, model, paths, platform);
	return async (q, superseded) => {
		const st = await runTransition(rt, model, paths.stateFile, fx, q, superseded);
		onDone?.(st);
	};
}

/** The daemons this node's part in the pair runs on, in start order. */
export function pairDaemons(model: Model): string[] {
	return model.sync ? ['conntrackd', 'keepalived'] : ['keepalived'];
}
