// Checks and reloads for apply on a real node, through the platform and the real tools.
import type { Paths } from '../model/paths.ts';
import type { Model } from '../model/types.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { findProgram } from '../system/find-program.ts';
import { nftCheck } from '../system/nft.ts';
import type { Platform } from '../system/platform.ts';
import { run } from '../system/run.ts';
import { loadNftTable } from '../exec/system-effects.ts';
import { decodeUtf8 } from '../util/utf8.ts';
import { replaceSiteRoutes } from '../system/site-routes.ts';
import { removeUplinkRouting } from '../exec/uplinks.ts';
import { ensureDaemon, type DaemonState } from './daemons.ts';
import type { ApplySystem } from './transaction.ts';
import type { Reload } from './targets.ts';

/** keepalived -t on a staged copy: exits non-zero on errors (and 0 for a missing file, so stage it). */
async function checkKeepalived(rt: Runtime, paths: Paths, content: string): Promise<void> {
	if (!(await findProgram(rt, 'keepalived'))) return;
	await rt.makeDir(paths.runDir);
	const staged = `${paths.runDir}/keepalived.conf.check`;
	await rt.writeFileAtomic(staged, content, 0o600);
	try {
		await run(rt, ['keepalived', '-t', '-f', staged], { timeoutMs: 10_000 });
	} finally {
		await rt.remove(staged);
	}
}


/** `daemons` collects what apply did to keepalived and conntrackd, for its report. */
export function systemApply(rt: Runtime, model: Model, paths: Paths, platform: Platform, daemons: Map<string, DaemonState>): ApplySystem {
	const ensure = async (name: string, action: DaemonState['action']) => {
		daemons.set(name, await ensureDaemon(rt, platform, name, action));
	};
	return {
		async check(t) {
			if (t.path === paths.keepalivedConf) await checkKeepalived(rt, paths, t.content ?? '');
			else if (t.path === paths.nftRuleset && (await findProgram(rt, 'nft'))) await nftCheck(rt, t.content ?? '');
		},
		async reload(what: Reload) {
			switch (what) {
				case 'network':
					// A direct reload only: a config.change event as well would reload netifd twice.
					return platform.networkReload();
				case 'conntrackd':
					// conntrackd has no reload: a restart re-reads the file and StartupResync refills it.
					if (!model.sync) return platform.service('conntrackd', 'stop');
					return ensure('conntrackd', 'restart');
				case 'keepalived':
					// SIGHUP re-reads keepalived.conf without dropping the VIPs this node holds.
					return ensure('keepalived', 'reload');
				case 'nft':
					await loadNftTable(rt, model, paths);
					// Uplink sections removed: their ip rules go too (loads with uplinks resync them).
					if (!model.uplinks) await removeUplinkRouting(rt);
					return;
				case 'routes': {
					// From the file, not the model: a rollback restores the file and reloads it.
					const batch = await rt.readFile(paths.siteRoutes);
					return replaceSiteRoutes(rt, batch === null ? null : decodeUtf8(batch));
				}
				case 'firewall':
					if (platform.name !== 'openwrt') return;
					return platform.service('firewall', 'reload');
			}
		},
	};
}
