// `ha-router teardown`: undo what apply did outside ha-router's own files, for package removal
// (the package's prerm runs it). Every option apply changed in other packages' config goes back
// to what /etc/ha-router/originals.json recorded before the first apply, so the router boots
// with its WAN on its own port again. Never stops role services or takes the WAN down now: the
// router keeps forwarding until the restored network config is loaded (reload or reboot).
import { undoEdits } from '../apply/originals.ts';
import { readOriginals } from '../apply/originals-store.ts';
import { applyUciEdits } from '../config/apply-uci-edits.ts';
import { endDrain } from '../exec/drain.ts';
import { ExitError } from '../errors.ts';
import { unloadNftTable } from '../exec/system-effects.ts';
import type { UciEdit } from '../model/uci-edit.ts';
import { FIREWALL_INCLUDE, FIREWALL_INPUT_INCLUDE } from '../render/glue.ts';
import { run } from '../system/run.ts';
import { removeSiteRoutes } from '../system/site-routes.ts';
import { decodeUtf8 } from '../util/utf8.ts';
import { parseArgs } from './args.ts';
import type { Command } from './command.ts';
import { NODE_OPTIONS, nodePaths } from './context.ts';

/** Without a record (it was lost): at least no include points at files that are going away. */
const FALLBACK: Readonly<Record<string, readonly UciEdit[]>> = {
	keepalived: [{ op: 'delete', section: 'globals', option: 'alt_config_file' }],
	firewall: [
		{ op: 'delete', section: FIREWALL_INCLUDE },
		{ op: 'delete', section: FIREWALL_INPUT_INCLUDE },
	],
};

export const teardown: Command = {
	name: 'teardown',
	summary: "undo apply's changes to other packages' config (package removal)",
	usage: `Usage: ha-router teardown [--root DIR] [--config DIR]

Puts back every option apply changed in /etc/config/network, keepalived and firewall, as it
was before the first apply (recorded in /etc/ha-router/originals.json), restores whether
keepalived and conntrackd start at boot, deletes table inet ha_router and restores the role
services' own boot behaviour. It does not stop services or take the WAN down: the restored
network config takes effect at the next network reload or reboot.
Exit: 0 done or nothing to undo, 1 failed, 2 usage.
`,
	async run(rt, argv) {
		const args = parseArgs('teardown', argv, [], NODE_OPTIONS);
		if (args.positional.length) throw new ExitError(2, `teardown: unexpected argument '${args.positional[0]}'`);
		const paths = nodePaths(rt, args);
		const problems: string[] = [];
		const rec = await readOriginals(rt, paths);
		const undo: Record<string, readonly UciEdit[]> = rec ? Object.fromEntries(Object.entries(rec.uci).map(([pkg, sections]) => [pkg, undoEdits(sections)])) : FALLBACK;
		const restored: string[] = [];
		for (const [pkg, edits] of Object.entries(undo)) {
			const file = `${paths.configDir}/${pkg}`;
			const cur = await rt.readFile(file);
			if (!cur) continue;
			const before = decodeUtf8(cur);
			try {
				const after = applyUciEdits(before, file, edits);
				if (after !== before) {
					await rt.writeFileAtomic(file, after, (await rt.stat(file))?.mode ?? 0o644);
					restored.push(file);
				}
			} catch (e) {
				problems.push(`${file}: ${(e as Error).message}`);
			}
		}
		// Under a staging root, scripts act on that root's rc.d.
		const env = paths.root ? { env: { IPKG_INSTROOT: paths.root } } : {};
		// rc.d links of keepalived and conntrackd, as they were.
		for (const [name, enabled] of Object.entries(rec?.bootEnabled ?? {})) {
			const script = `${paths.root}/etc/init.d/${name}`;
			if (await rt.stat(script)) await run(rt, [script, enabled ? 'enable' : 'disable'], { timeoutMs: 30_000, ...env }).catch((e: Error) => problems.push(e.message));
		}
		await unloadNftTable(rt, paths).catch((e: Error) => problems.push(e.message));
		if (await rt.stat(paths.siteRoutes)) await removeSiteRoutes(rt).catch((e: Error) => problems.push(`site routes: ${e.message}`));
		await endDrain(rt, paths, 'teardown', true).catch((e: Error) => problems.push(e.message));
		const guard = `${paths.root}/usr/libexec/ha-router/boot-guard`;
		if (await rt.stat(guard)) await run(rt, [guard, 'disable'], { timeoutMs: 30_000, ...env }).catch((e: Error) => problems.push(e.message));
		if (!problems.length) await rt.remove(paths.originals);
		await rt.syslog('notice', `teardown: restored ${restored.join(', ') || 'nothing'}; removed table inet ha_router`);
		await rt.stdout(`${restored.map((f) => `restored ${f}\n`).join('')}${rec ? '' : `no record of the original config (${paths.originals}): removed only our includes\n`}`);
		if (problems.length) throw new ExitError(1, `teardown: ${problems.join('; ')}`);
		return 0;
	},
};
