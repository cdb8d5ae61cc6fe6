// `ha-router routes`: put the sites' policy rules and routes back from /etc/ha-router/site-routes
// (as apply last wrote it). The kernel drops a site's route when its interface loses its address
// (a tunnel reconnecting, an ifdown/ifup); /etc/hotplug.d/iface/30-ha-router runs this on the ifup
// of a device the file names. Changes no file.
import { ExitError, UsageError } from '../errors.ts';
import { loadSiteRoutes } from '../exec/system-effects.ts';
import { parseArgs } from './args.ts';
import type { Command } from './command.ts';
import { NODE_OPTIONS, nodePaths } from './context.ts';

export const routes: Command = {
	name: 'routes',
	summary: "put the sites' rules and routes back (hotplug runs it when a site interface comes up)",
	usage: `Usage: ha-router routes [--root DIR] [--config DIR]

Replaces the sites' policy rules and routes in the kernel (ours: preferences 1501..1700,
tables 18433..18632) with /etc/ha-router/site-routes as apply last wrote it; without that file, removes
them. Exit: 0 done, 1 failed, 2 usage.
`,
	async run(rt, argv) {
		const args = parseArgs('routes', argv, [], NODE_OPTIONS);
		if (args.positional.length) throw new UsageError(`routes: unexpected argument '${args.positional[0]}'`);
		const paths = nodePaths(rt, args);
		const batch = await rt.stat(paths.siteRoutes);
		try {
			await loadSiteRoutes(rt, paths);
		} catch (e) {
			throw new ExitError(1, `routes: cannot put the site routes back from ${paths.siteRoutes}: ${(e as Error).message}`);
		}
		await rt.syslog('info', `routes: site rules and routes ${batch === null ? 'removed (no site routes file)' : `restored from ${paths.siteRoutes}`}`);
		return 0;
	},
};
