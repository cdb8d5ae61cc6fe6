// `ha-router notify`: keepalived's hook. Parses the event, ignores foreign ones, and hands it
// to the cross-process queue, which runs the transition plan (src/plan, src/exec).
import type { Runtime } from '../runtime/runtime.ts';
import { UsageError } from '../errors.ts';
import { parseEvent } from '../plan/event.ts';
import { eventOwner, planTransition } from '../plan/plan-transition.ts';
import { endDrain } from '../exec/drain.ts';
import { processKey, queueFiles, submitEvent } from '../exec/event-queue.ts';
import { pokeAgent } from '../peer/client.ts';
import { peerLink } from '../peer/protocol.ts';
import { parseArgs } from './args.ts';
import type { Command } from './command.ts';
import { NODE_OPTIONS, nodePaths } from './context.ts';
import { loadNode, openPlatform, transitionHandler } from './node.ts';

const USAGE = `Usage: ha-router notify [--dry-run] [--root DIR] [--config DIR] TYPE NAME STATE PRIORITY
       ha-router notify primary|backup|fault|stop

keepalived's notify hook. TYPE is INSTANCE or GROUP, STATE is MASTER, BACKUP, FAULT or STOP
(the arguments keepalived appends to a generic notify script). The transition runs in a fixed
order; events arriving meanwhile are queued, and only the newest waiting one is kept.
--dry-run prints the plan as JSON and changes nothing.
Exit: 0 done or queued (or not our instance), 1 a step failed or the configuration is invalid, 2 usage.
`;

export const notify: Command = {
	name: 'notify',
	summary: "keepalived's state-change hook: run the MASTER/BACKUP/FAULT/STOP transition",
	usage: USAGE,
	async run(rt: Runtime, argv: string[]) {
		const args = parseArgs('notify', argv, ['dry-run'], NODE_OPTIONS);
		const ev = parseEvent(args.positional);
		if (typeof ev === 'string') throw new UsageError(`notify: ${ev}`);
		// The key is taken first: it orders this event among concurrent hooks.
		const key = await processKey(rt);
		// keepalived signals its notify scripts when it stops, the very moment the STOP plan must
		// run to the end (WAN down, services stopped). Every step has its own timeout.
		rt.ignoreSignal('SIGTERM');
		rt.ignoreSignal('SIGHUP');
		const paths = nodePaths(rt, args);
		const model = await loadNode(rt, paths);
		const owner = eventOwner(model, ev);
		if (owner !== true) {
			await rt.syslog('info', `ignoring ${ev.state}: ${owner}`);
			return 0;
		}
		if (args.flags.has('dry-run')) {
			await rt.stdout(`${JSON.stringify({ event: ev, steps: planTransition(model, ev) }, null, 1)}\n`);
			return 0;
		}
		await rt.makeDir(paths.runDir);
		// A drain belongs to the MASTER it began on: any other state ends it (a file read when there is none).
		if (ev.state !== 'MASTER') await endDrain(rt, paths, `this node is ${ev.state}`).catch((e: Error) => rt.syslog('err', `drain: ${e.message}`));
		const platform = await openPlatform(rt, model, paths);
		try {
			let ok = true;
			const handle = transitionHandler(rt, model, paths, platform, (st) => {
				ok &&= st.transition.steps.every((s) => s.status !== 'failed');
			});
			const link = peerLink(model);
			// The agent reads the announced state at once (split-brain guard, heartbeat), not at its next tick.
			const poke = link ? () => pokeAgent(rt, link) : undefined;
			const outcome = await submitEvent(rt, queueFiles(paths.runDir), { key, event: ev }, handle, poke);
			// And again when the plan is done: the peer learns at once that this node has settled.
			if (poke && outcome === 'handled') await poke();
			if (outcome === 'stale') await rt.syslog('info', `${ev.state} arrived after a newer event; dropped`);
			return ok ? 0 : 1;
		} finally {
			platform.close();
		}
	},
};
