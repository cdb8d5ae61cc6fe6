// What every node command shares: --root and --config, and the argv that runs this program
// (written into keepalived.conf, udhcpc's environment and hotplug glue).
import { pathsFor, type Paths } from '../model/paths.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { ParsedArgs } from './args.ts';

/** Options every node command accepts; dispatch also takes them before the command name. */
export const NODE_OPTIONS = ['root', 'config'] as const;

/**
 * Paths for this invocation. HA_ROUTER_SELF (argv words separated by spaces) overrides the
 * installed /usr/bin/ha-router, for the testbed that runs the bundle through tjs.
 */
export function nodePaths(rt: Runtime, args: ParsedArgs): Paths {
	const root = args.values.get('root') ?? '';
	const config = args.values.get('config');
	const base = (rt.env('HA_ROUTER_SELF') ?? '/usr/bin/ha-router').split(' ').filter(Boolean);
	const self = [...base, ...(root ? ['--root', root] : []), ...(config ? ['--config', config] : [])];
	return pathsFor(root, config ?? `${root}/etc/config`, self);
}
