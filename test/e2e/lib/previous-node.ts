// The previous design as a benchmark column: ha-router on its linux platform as of 0afe97e, the last commit before
// keepalived carried the shared WAN. There keepalived's notify hook started udhcpc on the new master and the lease
// script set the WAN address: the column shows what carrying the WAN in keepalived bought.
// The old tree is extracted into a temporary directory and built there with this repo's node_modules; the stack is
// haRouterStack's adapter pointed at that tree's bundle and router files, without the lease watcher (the old design
// has none). The testbed, its init scripts and the UCI files are this repo's, as for the ha-router column.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, TJS } from '../../support/tjs.ts';
import { nsRunAsync, type RunResult } from './exec.ts';
import { bootWith, haRouterStack } from './ha-router-node.ts';
import type { Stack } from './stack.ts';
import type { RouterNode, Testbed } from './testbed.ts';
import { writeUciFiles, type NodeRole } from './uci-files.ts';

export const PREVIOUS_NAME = 'previous (hook WAN)';
export const PREVIOUS_REV = '0afe97e';
/** Today's shipped advert_int (files/etc/config/ha-router). The old bundle's default was 1 s: a role that leaves it
 * to the default gets this one written out, so that the column differs from ha-router in how the WAN moves only. */
const SHIPPED_ADVERT_INT = '0.03';

/** A built tree of an older revision. */
export interface PreviousTree {
	/** The commit, abbreviated (for the report). */
	rev: string;
	dir: string;
	bundle: string;
	/** What configure installs as <root>/usr/libexec/ha-router. */
	libexec: string;
}

function must(cmd: string, args: string[], cwd: string): string {
	const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 120_000 });
	if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${r.error ?? ''}${r.stderr.trim() || r.stdout.trim()}`);
	return r.stdout.trim();
}

/**
 * Extracts `rev` into a temporary directory and builds its bundle. git archive rather than a worktree: a run that
 * dies leaves only a directory behind, never a worktree registered in the repo. Throws if the build fails.
 */
export function buildPrevious(rev: string): PreviousTree {
	const commit = must('git', ['rev-parse', '--short', `${rev}^{commit}`], ROOT);
	const dir = mkdtempSync(path.join(os.tmpdir(), `ha-router-previous-${commit}-`));
	try {
		const tar = path.join(dir, 'tree.tar');
		must('git', ['archive', '--output', tar, commit], ROOT);
		must('tar', ['-xf', tar, '-C', dir], ROOT);
		rmSync(tar);
		symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
		must(process.execPath, ['scripts/build.mjs'], dir);
	} catch (e) {
		removePrevious(dir);
		throw e;
	}
	return { rev: commit, dir, bundle: path.join(dir, 'dist/ha-router.js'), libexec: path.join(dir, 'files/usr/libexec/ha-router') };
}

/** Removes the tree (the node_modules symlink goes, not what it points to). */
export function removePrevious(dir: string): void {
	rmSync(dir, { recursive: true, force: true });
}

/** The column: haRouterStack with the old tree's bundle and files, or not run (`tree` says why) if it did not build. */
export function previousStack(tree: PreviousTree | string): Stack {
	const run = (node: RouterNode, args: readonly string[]): Promise<RunResult> => {
		if (typeof tree === 'string') throw new Error(tree);
		// keepalived's notify line (rendered by apply) runs HA_ROUTER_SELF: the old bundle too.
		return nsRunAsync(node.ns, TJS, ['run', tree.bundle, ...args], { timeoutMs: 30_000, env: { ...process.env, HA_ROUTER_SELF: `${TJS} run ${tree.bundle}` } });
	};
	return {
		...haRouterStack,
		name: PREVIOUS_NAME,
		unavailable() {
			if (typeof tree === 'string') return tree;
			if (!existsSync(TJS)) return `${TJS} missing (sh scripts/get-tjs.sh)`;
			return undefined;
		},
		async configure(_bed: Testbed, node: RouterNode, role: NodeRole) {
			if (typeof tree === 'string') throw new Error(tree);
			writeUciFiles(node, role.advertInt === '' ? { ...role, advertInt: SHIPPED_ADVERT_INT } : role);
			cpSync(tree.libexec, path.join(node.root, 'usr/libexec/ha-router'), { recursive: true });
		},
		// haRouterStack.boot without the lease watcher.
		async boot(_bed: Testbed, node: RouterNode) {
			await bootWith(node, run);
		},
		async switchAway(_bed: Testbed, node: RouterNode) {
			const r = await run(node, ['switchover', '--root', node.root]);
			if (r.code !== 0) throw new Error(`${node.name}: ha-router switchover exited ${r.code}: ${r.stderr.trim()}`);
		},
	};
}
