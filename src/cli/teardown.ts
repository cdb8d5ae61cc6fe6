// `ha-router teardown`: undo what apply did outside ha-router's own files, for package removal.
// Never stops role services or takes the WAN down: the router keeps forwarding.
import { applyUciEdits } from '../config/apply-uci-edits.ts';
import { ExitError } from '../errors.ts';
import type { UciEdit } from '../model/uci-edit.ts';
import { FIREWALL_INCLUDE, FIREWALL_INPUT_INCLUDE } from '../render/glue.ts';
import { NFT_TABLE } from '../render/nft.ts';
import { nftDeleteTable } from '../system/nft.ts';
import { run } from '../system/run.ts';
import { decodeUtf8 } from '../util/utf8.ts';
import { parseArgs } from './args.ts';
import type { Command } from './command.ts';
import { NODE_OPTIONS, nodePaths } from './context.ts';

const UNDO: Readonly<Record<string, readonly UciEdit[]>> = {
	keepalived: [{ op: 'delete', section: 'globals', option: 'alt_config_file' }],
	firewall: [
		{ op: 'delete', section: FIREWALL_INCLUDE },
		{ op: 'delete', section: FIREWALL_INPUT_INCLUDE },
	],
};

export const teardown: Command = {
	name: 'teardown',
	summary: "undo apply's glue in other packages' config (package removal)",
	usage: `Usage: ha-router teardown [--root DIR] [--config DIR]

Removes keepalived's alt_config_file and the fw4 include sections that apply added, deletes
table inet ha_router and restores the role services' own boot behaviour. It does not stop
services or take the WAN down.
Exit: 0 done or nothing to undo, 1 failed, 2 usage.
`,
	async run(rt, argv) {
		const args = parseArgs('teardown', argv, [], NODE_OPTIONS);
		if (args.positional.length) throw new ExitError(2, `teardown: unexpected argument '${args.positional[0]}'`);
		const paths = nodePaths(rt, args);
		const problems: string[] = [];
		for (const [pkg, edits] of Object.entries(UNDO)) {
			const file = `${paths.configDir}/${pkg}`;
			const raw = await rt.readFile(file);
			if (!raw) continue;
			const before = decodeUtf8(raw);
			const after = applyUciEdits(before, file, edits);
			if (after !== before) await rt.writeFileAtomic(file, after, (await rt.stat(file))?.mode ?? 0o644);
		}
		const [family, table] = NFT_TABLE.split(' ') as [string, string];
		await nftDeleteTable(rt, family, table).catch((e: Error) => problems.push(e.message));
		const guard = `${paths.root}/usr/libexec/ha-router/boot-guard`;
		const env = paths.root ? { env: { IPKG_INSTROOT: paths.root } } : {};
		if (await rt.stat(guard)) await run(rt, [guard, 'disable'], { timeoutMs: 30_000, ...env }).catch((e: Error) => problems.push(e.message));
		await rt.syslog('notice', 'teardown: removed keepalived and fw4 glue and table inet ha_router');
		if (problems.length) throw new ExitError(1, `teardown: ${problems.join('; ')}`);
		return 0;
	},
};
