// Checks and reloads for apply on a real node, through the platform and the real tools.
import type { Paths } from '../model/paths.ts';
import type { Model } from '../model/types.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { findProgram } from '../system/find-program.ts';
import { nftCheck } from '../system/nft.ts';
import type { Platform } from '../system/platform.ts';
import { run } from '../system/run.ts';
import { loadNftTable } from '../exec/system-effects.ts';
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

async function startOrReload(platform: Platform, name: string, action: 'reload' | 'restart'): Promise<void> {
	await platform.service(name, (await platform.serviceRunning(name)) ? action : 'start');
}

export function systemApply(rt: Runtime, model: Model, paths: Paths, platform: Platform): ApplySystem {
	return {
		async check(t) {
			if (t.path === paths.keepalivedConf) await checkKeepalived(rt, paths, t.content ?? '');
			else if (t.path === paths.nftRuleset && (await findProgram(rt, 'nft'))) await nftCheck(rt, t.content ?? '');
		},
		async reload(what: Reload) {
			switch (what) {
				case 'network':
					await platform.configChanged('network');
					return platform.networkReload();
				case 'conntrackd':
					// conntrackd has no reload: a restart re-reads the file and StartupResync refills it.
					if (!model.sync) return platform.service('conntrackd', 'stop');
					return startOrReload(platform, 'conntrackd', 'restart');
				case 'keepalived':
					// SIGHUP re-reads keepalived.conf without dropping the VIPs this node holds.
					return startOrReload(platform, 'keepalived', 'reload');
				case 'nft':
					return loadNftTable(rt, model, paths);
				case 'firewall':
					if (platform.name !== 'openwrt') return;
					await platform.configChanged('firewall');
					return platform.service('firewall', 'reload');
			}
		},
	};
}
