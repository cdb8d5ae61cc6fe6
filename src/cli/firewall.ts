// `ha-router firewall`: fw4 runs this (script include) after loading its ruleset, because a
// firewall restart deletes every table, ours too. Never calls fw4 back.
import { ExitError } from '../errors.ts';
import { loadNftTable } from '../exec/system-effects.ts';
import { parseArgs } from './args.ts';
import type { Command } from './command.ts';
import { NODE_OPTIONS, nodePaths } from './context.ts';
import { loadNode } from './node.ts';

export const firewall: Command = {
	name: 'firewall',
	summary: 'reload table inet ha_router with the current lease (fw4 include)',
	usage: `Usage: ha-router firewall [--root DIR] [--config DIR]

Loads table inet ha_router (declare, flush, define in one nft transaction) with the SNAT
address of the current lease. fw4 runs it through its 'ha_router' script include.
Exit: 0 loaded or ha-router disabled, 1 failed, 2 usage.
`,
	async run(rt, argv) {
		const args = parseArgs('firewall', argv, [], NODE_OPTIONS);
		if (args.positional.length) throw new ExitError(2, `firewall: unexpected argument '${args.positional[0]}'`);
		const paths = nodePaths(rt, args);
		const model = await loadNode(rt, paths);
		if (!model.node.enabled) return 0;
		await loadNftTable(rt, model, paths);
		return 0;
	},
};
