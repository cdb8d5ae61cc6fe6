import { agent } from './agent.ts';
import { apply } from './apply.ts';
import { check } from './check.ts';
import { drainCommand } from './drain.ts';
import { lease } from './lease.ts';
import { notify } from './notify.ts';
import { routes } from './routes.ts';
import { status } from './status.ts';
import { switchoverCommand } from './switchover.ts';
import { teardown } from './teardown.ts';
import { uplinksCommand } from './uplinks.ts';
import type { Command } from './command.ts';

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [
	check,
	apply,
	notify,
	lease,
	status,
	switchoverCommand,
	drainCommand,
	uplinksCommand,
	agent,
	routes,
	teardown,
];
