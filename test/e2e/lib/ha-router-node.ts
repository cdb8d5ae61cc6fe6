// The adapter that runs a testbed node the ha-router way, as a Stack next to the seed-style baseline:
// write the UCI files, run `ha-router apply` inside the node's namespace (the bundle on tjs), then start conntrackd
// and keepalived through the node's init scripts with the config ha-router rendered (src/model/paths.ts):
//   <root>/etc/ha-router/keepalived.conf   (the keepalived init script prefers it over etc/keepalived/)
//   <root>/etc/conntrackd/conntrackd.conf
//   <root>/etc/ha-router/ruleset.nft       (our nft table)
// ha-router's linux platform reaches services as `<root>/etc/init.d/<name> start|stop|...`, and keepalived's notify
// line runs HA_ROUTER_SELF (+ --root/--config) notify ..., so the whole pair runs without touching the host.
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathsFor } from '../../../src/model/paths.ts';
import { BUNDLE, ROOT, TJS } from '../../support/tjs.ts';
import { nsRun, nsRunAsync, type RunResult } from './exec.ts';
import { initdOk, type Stack } from './stack.ts';
import { wanAddr, type RouterNode, type Testbed } from './testbed.ts';
import { writeUciFiles, type NodeRole } from './uci-files.ts';

/** argv that runs ha-router on this machine (HA_ROUTER_SELF: words separated by spaces). */
export const SELF = `${TJS} run ${BUNDLE}`;

let why: string | undefined | null = null;

/** Why the ha-router column can't run yet (no tjs, no bundle, or the bundle has no `apply`), or undefined. */
export function haRouterUnavailable(): string | undefined {
	if (why !== null) return why;
	if (!existsSync(TJS)) return (why = `${TJS} missing (sh scripts/get-tjs.sh)`);
	if (!existsSync(BUNDLE)) return (why = `${BUNDLE} missing (make build)`);
	const r = spawnSync(TJS, ['run', BUNDLE, 'help', 'apply'], { encoding: 'utf8', timeout: 10_000 });
	if (r.status !== 0) return (why = `dist/ha-router.js has no 'apply' command yet`);
	return (why = undefined);
}

/** Runs ha-router inside the node's namespace, as keepalived and the init scripts would on the router. */
export function haRouter(node: RouterNode, args: readonly string[], timeoutMs = 30_000): Promise<RunResult> {
	return nsRunAsync(node.ns, TJS, ['run', BUNDLE, ...args], { timeoutMs, env: { ...process.env, HA_ROUTER_SELF: SELF } });
}

/**
 * The node's SNAT rule (table inet ha_router) holds its WAN address. Nothing masquerades behind our SNAT on the
 * testbed, so a flow that starts in the moment between the lease and the rule keeps an un-NATed conntrack entry for
 * good (seen: the meter's streams never connecting): a booted pair counts as ready only after this.
 */
export function snatHoldsWan(node: RouterNode): boolean {
	const wan = wanAddr(node)?.split('/')[0];
	return wan !== undefined && nsRun(node.ns, 'nft', ['list', 'table', 'inet', 'ha_router'], { check: false }).stdout.includes(`snat ip to ${wan}`);
}

export const haRouterStack: Stack = {
	name: 'ha-router',
	advertIntS: 0.1,
	unavailable: haRouterUnavailable,
	ready: snatHoldsWan,
	async configure(_bed: Testbed, node: RouterNode, role: NodeRole) {
		writeUciFiles(node, role);
		// "Install the package" into the node's root: the helpers the linux platform runs from
		// <root>/usr/libexec/ha-router (udhcpc.script, ...). TODO(issue 7): unpack the .ipk's data.tar.gz instead.
		cpSync(path.join(ROOT, 'files/usr/libexec/ha-router'), path.join(node.root, 'usr/libexec/ha-router'), { recursive: true });
	},
	async boot(_bed: Testbed, node: RouterNode) {
		await bootWith(node, haRouter);
		startLeaseWatch(node);
		startAgent(node);
	},
	async switchAway(_bed: Testbed, node: RouterNode) {
		const r = await haRouter(node, ['switchover', '--root', node.root]);
		if (r.code !== 0) throw new Error(`${node.name}: ha-router switchover exited ${r.code}: ${r.stderr.trim()}`);
	},
};

/**
 * A node's boot on the linux platform with the bundle `run` runs: `ha-router apply --boot --config <root>/etc/config
 * --root <root>` (renders, loads our nft table), then conntrackd and keepalived through <root>/etc/init.d.
 */
export async function bootWith(node: RouterNode, run: (node: RouterNode, args: readonly string[]) => Promise<RunResult>): Promise<void> {
	const p = pathsFor(node.root);
	const r = await run(node, ['apply', '--boot', '--config', p.configDir, '--root', node.root]);
	if (r.code !== 0) throw new Error(`${node.name}: ha-router apply exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
	// TODO(issue 7): drop this if apply loads the table itself (it should; then this is a no-op check).
	if (existsSync(p.nftRuleset) && nsRun(node.ns, 'nft', ['list', 'table', 'inet', 'ha_router'], { check: false }).code !== 0) {
		nsRun(node.ns, 'nft', ['-f', p.nftRuleset]);
	}
	await initdOk(node, 'conntrackd', 'start');
	await initdOk(node, 'keepalived', 'start');
}

/**
 * The lease watcher (files/usr/libexec/ha-router/lease-watch), as a service manager would run it: in the node's
 * namespace, detached; the crash fault and the testbed's teardown kill it with the node's other processes.
 */
function startLeaseWatch(node: RouterNode): void {
	const p = pathsFor(node.root);
	const wrapper = path.join(node.root, 'usr/libexec/ha-router/ha-router');
	writeFileSync(wrapper, `#!/bin/sh\nexec '${TJS}' run '${BUNDLE}' "$@" --root '${node.root}' --config '${p.configDir}'\n`, { mode: 0o755 });
	const watch = path.join(node.root, 'usr/libexec/ha-router/lease-watch');
	const child = spawn('ip', ['netns', 'exec', node.ns, 'setsid', 'busybox', 'sh', watch, wrapper], { detached: true, stdio: 'ignore', env: { ...process.env, HA_ROUTER_SELF: SELF } });
	child.on('error', () => {});
	child.unref();
}

/** The resident agent (`ha-router agent`), as procd runs it on OpenWrt: detached in the node's namespace. */
export function startAgent(node: RouterNode): void {
	const p = pathsFor(node.root);
	// The testbed has no syslog: a `logger` first in PATH keeps the agent's lines in <root>/var/log/agent.log.
	const bin = path.join(node.root, 'usr/libexec/ha-router/testbin');
	mkdirSync(bin, { recursive: true });
	writeFileSync(path.join(bin, 'logger'), `#!/bin/sh\n{ date '+%T.%N' | cut -c1-12; cat; } >> '${path.join(node.root, 'var/log/agent.log')}'\n`, { mode: 0o755 });
	const child = spawn('ip', ['netns', 'exec', node.ns, 'setsid', TJS, 'run', BUNDLE, 'agent', '--root', node.root, '--config', p.configDir], {
		detached: true,
		stdio: 'ignore',
		env: { ...process.env, HA_ROUTER_SELF: SELF, PATH: `${bin}:${process.env.PATH}` },
	});
	child.on('error', () => {});
	child.unref();
}

/** `ha-router status` of a node, parsed if it prints JSON (for reports). */
export async function haRouterStatus(node: RouterNode): Promise<unknown> {
	const r = await haRouter(node, ['status', '--root', node.root], 10_000);
	try {
		return JSON.parse(r.stdout) as unknown;
	} catch {
		return r.stdout.trim();
	}
}
