// `ha-router apply`: render every file from the Model and change the router transactionally.
import type { Runtime } from '../runtime/runtime.ts';
import { ExitError } from '../errors.ts';
import { loadConfig } from '../config/load-config.ts';
import { formatIssue, issueJson } from '../config/issues.ts';
import { parseUciDelta } from '../config/uci-delta.ts';
import type { Paths } from '../model/paths.ts';
import type { Issue, Model } from '../model/types.ts';
import { unifiedDiff } from '../apply/diff.ts';
import { UCI_PACKAGES, renderTargets, uciChanges, type UciTexts } from '../apply/targets.ts';
import { readUciTexts } from '../apply/uci-texts.ts';
import { bootEnable, ensureDaemon, type DaemonState } from '../apply/daemons.ts';
import { applyKernelSettings } from '../apply/kernel-settings.ts';
import { recordOriginals } from '../apply/originals.ts';
import { rememberOriginals } from '../apply/originals-store.ts';
import { ApplyFailed, applyChanges, diffTargets, type ApplyResult } from '../apply/transaction.ts';
import { systemApply } from '../apply/system-apply.ts';
import { endDrain } from '../exec/drain.ts';
import { drainEvents, queueFiles, whileNoTransition } from '../exec/event-queue.ts';
import { bestKnownLease, loadNftTable, loadSiteRoutes, unloadNftTable } from '../exec/system-effects.ts';
import { writeKeepalivedWan } from '../exec/keepalived-wan.ts';
import { platformFor } from '../system/create-platform.ts';
import type { Platform } from '../system/platform.ts';
import { run } from '../system/run.ts';
import { removeSiteRoutes } from '../system/site-routes.ts';
import { decodeUtf8 } from '../util/utf8.ts';
import { parseArgs } from './args.ts';
import type { Command } from './command.ts';
import { NODE_OPTIONS, nodePaths } from './context.ts';
import { parseUbusArgs } from './ubus-args.ts';
import { openPlatform, pairDaemons, transitionHandler } from './node.ts';

const USAGE = `Usage: ha-router apply [--dry-run] [--json] [--boot] [--root DIR] [--config DIR]

Renders keepalived.conf, conntrackd.conf, our nftables table and the edits of
/etc/config/network (plus keepalived and firewall glue on OpenWrt) from /etc/config/ha-router,
and changes only what differs: identical files are not written and nothing is reloaded.
Files are checked (keepalived -t, nft -c) before any is written, written atomically, and on
any failure every file is restored and reloaded again.
  --dry-run  print a unified diff per file; change nothing
  --json     one JSON object: {ok, changed, reloaded, issues}
  --ubus-args J  the rpcd plugin's arguments: {"dry_run": true} is --dry-run
  --boot     once at boot: also load our nftables table and stop role services
  --root     write under this staging root (tests, the demo)
  --config   directory holding the UCI files (default <root>/etc/config)
Exit: 0 applied or nothing to do, 1 invalid configuration or a failed step, 2 usage.
`;

async function readText(rt: Runtime, path: string): Promise<string | null> {
	const raw = await rt.readFile(path);
	return raw === null ? null : decodeUtf8(raw);
}

/** libuci replays /tmp/.uci/<pkg> on top of a file written directly: refuse while it has entries. */
async function pendingUciChanges(rt: Runtime, paths: Paths): Promise<string[]> {
	const found: string[] = [];
	for (const pkg of UCI_PACKAGES) {
		const delta = await readText(rt, `${paths.root}/tmp/.uci/${pkg}`);
		if (delta && parseUciDelta(delta).length > 0) found.push(pkg);
	}
	return found;
}

async function conntrackMax(rt: Runtime): Promise<number> {
	const n = Number((await readText(rt, '/proc/sys/net/netfilter/nf_conntrack_max'))?.trim());
	return Number.isInteger(n) && n > 0 ? n : 65536;
}


/** Role services start only on a MASTER transition, never from their own init at boot (files/usr/libexec/ha-router/boot-guard). */
async function bootGuard(rt: Runtime, model: Model, paths: Paths, platform: Platform, boot: boolean): Promise<string | null> {
	if (platform.name !== 'openwrt') return null;
	const guard = `${paths.root}/usr/libexec/ha-router/boot-guard`;
	const argv = model.node.enabled ? [guard, 'enable', ...(boot ? ['--stop'] : []), ...model.node.services] : [guard, 'disable'];
	try {
		// Under --root the guard edits that root's init scripts, not the host's; the root is a
		// running node (the testbed), so --stop stops its services as on a router.
		await run(rt, argv, { timeoutMs: 30_000, ...(paths.root ? { env: { IPKG_INSTROOT: paths.root, HA_ROUTER_LIVE_ROOT: '1' } } : {}) });
		return null;
	} catch (e) {
		return `boot guard: ${(e as Error).message}`;
	}
}

/** Role services the plans name but the router lacks: skipped at every transition. */
async function absentServices(platform: Platform, model: Model): Promise<string[]> {
	const absent: string[] = [];
	for (const s of model.node.services) if (!(await platform.serviceInstalled(s))) absent.push(s);
	return absent;
}

/**
 * `option enabled '0'`: this node leaves the pair. keepalived and conntrackd stop and no longer
 * start at boot, our table goes (fw4 no longer includes it), role services get their own boot
 * behaviour back; files and /etc/config/network stay as they are (ha-router teardown removes
 * the glue in other packages).
 */
async function disable(rt: Runtime, model: Model, paths: Paths, platform: Platform, boot: boolean, say: (obj: Record<string, unknown>, text: string) => Promise<void>): Promise<number> {
	const stopped: string[] = [];
	for (const name of ['keepalived', 'conntrackd']) {
		if (await platform.serviceRunning(name).catch(() => false)) {
			await platform.service(name, 'stop');
			stopped.push(name);
		}
	}
	await bootEnable(rt, paths, platform, ['keepalived', 'conntrackd'], false);
	await unloadNftTable(rt, paths).catch(() => undefined);
	if (model.sites.length) await removeSiteRoutes(rt).catch(() => undefined);
	const guard = await bootGuard(rt, model, paths, platform, boot);
	await rt.syslog('notice', `disabled: stopped ${stopped.join(', ') || 'nothing'}, removed table inet ha_router`);
	await say({ ok: true, disabled: true, stopped, ...(guard ? { warning: guard } : {}) }, `ha-router is disabled on this node: stopped ${stopped.join(', ') || 'nothing'}; table inet ha_router removed\n`);
	return 0;
}

export const apply: Command = {
	name: 'apply',
	summary: 'render the configuration and change the router transactionally',
	usage: USAGE,
	async run(rt, argv) {
		const pre = parseArgs('apply', argv, ['dry-run', 'json', 'boot'], [...NODE_OPTIONS, 'ubus-args']);
		const dryRun = pre.values.has('ubus-args') && parseUbusArgs('apply', pre.values.get('ubus-args')!, { dry_run: 'boolean' })['dry_run'] === true;
		const args = dryRun ? { ...pre, flags: new Set([...pre.flags, 'dry-run']) } : pre;
		if (args.positional.length) throw new ExitError(2, `apply: unexpected argument '${args.positional[0]}'`);
		const json = args.flags.has('json');
		const paths = nodePaths(rt, args);
		const say = async (obj: Record<string, unknown>, text: string) => (json ? rt.stdout(`${JSON.stringify(obj)}\n`) : text ? rt.stdout(text) : undefined);
		const fail = async (message: string, issues: readonly Issue[] = []) => {
			await say({ ok: false, error: message, issues: issues.map(issueJson) }, '');
			if (!json) await rt.stderr(`${message}\n`);
			await rt.syslog('err', `apply: ${message.split('\n')[0]}`);
			return 1;
		};

		const loaded = await loadConfig(rt, paths.configDir);
		const warnings = loaded.issues.filter((i) => i.severity === 'warning');
		if (!json) for (const w of warnings) await rt.stderr(`${formatIssue(w)}\n`);
		if (!loaded.model) {
			return fail(loaded.issues.filter((i) => i.severity === 'error').map(formatIssue).join('\n'), loaded.issues);
		}
		const model = loaded.model;
		const pending = await pendingUciChanges(rt, paths);
		if (pending.length) {
			return fail(`uncommitted uci changes in ${pending.map((p) => `${paths.root}/tmp/.uci/${p}`).join(', ')}: commit or revert them first (uci commit ${pending[0]} / uci revert ${pending[0]})`);
		}

		let changes;
		let texts: UciTexts;
		try {
			const files = await readUciTexts(rt, paths.configDir, loaded.texts.network);
			texts = files.uci;
			const targets = renderTargets(model, paths, { platform: await platformFor(rt, model.node.platform, paths), conntrackMax: await conntrackMax(rt), ...files, rtTables: await readText(rt, paths.rtTables) });
			changes = await diffTargets(rt, targets);
		} catch (e) {
			return fail(`apply: ${(e as Error).message}`);
		}
		if (args.flags.has('dry-run')) {
			const diffs = changes.map((c) => ({ path: c.path, diff: unifiedDiff(c.before, c.after, c.path, c.path) || `mode ${c.mode.toString(8)}\n` }));
			await say({ ok: true, dryRun: true, changed: diffs.map((d) => d.path), diffs }, diffs.length ? diffs.map((d) => d.diff).join('') : 'no change\n');
			return 0;
		}

		try {
			await rt.makeDir(paths.runDir);
		} catch (e) {
			return fail(`apply: cannot create ${paths.runDir}: ${(e as Error).message}; nothing was changed`);
		}
		const platform = await openPlatform(rt, model, paths);
		try {
			if (!model.node.enabled) return await disable(rt, model, paths, platform, args.flags.has('boot'), say);
			try {
				await rememberOriginals(rt, paths, (o) =>
					uciChanges(model, paths, platform.name, texts).reduce((acc, ch) => recordOriginals(acc, ch, texts[ch.package as keyof UciTexts], `${paths.configDir}/${ch.package}`), o),
				);
			} catch (e) {
				return fail(`apply: cannot record the original config in ${paths.originals}: ${(e as Error).message}; nothing was changed`);
			}
			const files = queueFiles(paths.runDir);
			const daemons = new Map<string, DaemonState>();
			let result: ApplyResult;
			/** The boot guard's note when it ran inside the lock (at boot), else undefined. */
			let bootGuardNote: string | null | undefined;
			try {
				result = await whileNoTransition(rt, files, async () => {
					// keepalived's WAN part is in place before keepalived (re)starts below.
					const wanChanged = model.wan ? await writeKeepalivedWan(rt, model, paths, await bestKnownLease(rt, model, paths)) : false;
					const r = await applyChanges(rt, changes, systemApply(rt, model, paths, platform, daemons), `${paths.root}/etc/ha-router/previous`);
					if (model.wan) await platform.wanPrepare(model.wan);
					if (wanChanged && !r.reloaded.includes('keepalived') && (await platform.serviceRunning('keepalived'))) await platform.service('keepalived', 'reload');
					// After a reboot no table is loaded although every file is unchanged.
					if (args.flags.has('boot') && !r.reloaded.includes('nft')) await loadNftTable(rt, model, paths);
					if (args.flags.has('boot') && !r.reloaded.includes('routes') && model.sites.length) await loadSiteRoutes(rt, paths);
					await applyKernelSettings(rt, model);
					// At boot the role services (started by their own init at S19) stop before any transition
					// can run: keepalived, started above, may already have announced MASTER, and that event
					// waits for this lock. Stopped after it, they would leave a MASTER without DHCP.
					if (args.flags.has('boot')) bootGuardNote = await bootGuard(rt, model, paths, platform, true);
					return r;
				});
			} catch (e) {
				if (!(e instanceof ApplyFailed)) throw e;
				const restore = !e.wrote ? '\nnothing was changed' : e.restoreErrors.length ? `\nrestoring failed too: ${e.restoreErrors.join('; ')}` : '\nevery file was restored';
				return fail(`apply failed at ${e.message}${restore}`);
			} finally {
				// A state change that arrived meanwhile waited for us: run it now, with the new Model.
				await drainEvents(rt, files, transitionHandler(rt, model, paths, platform));
			}
			// Files unchanged does not mean the pair runs: start what is not running and verify it.
			const problems: string[] = [];
			await endDrain(rt, paths, 'apply', true).catch((e: Error) => problems.push(`drain: ${e.message}`));
			await bootEnable(rt, paths, platform, pairDaemons(model), true).catch((e: Error) => problems.push(`boot enable: ${e.message}`));
			for (const d of pairDaemons(model)) {
				if (daemons.has(d)) continue;
				await ensureDaemon(rt, platform, d, 'none').then(
					(st) => daemons.set(d, st),
					(e: Error) => problems.push(e.message),
				);
			}
			const guard = bootGuardNote !== undefined ? bootGuardNote : await bootGuard(rt, model, paths, platform, false);
			const absent = await absentServices(platform, model);
			const notes = [...(guard ? [guard] : []), ...absent.map((s) => `role service ${s} is not installed: transitions skip it`)];
			if (!json) for (const n of notes) await rt.stderr(`warning: ${n}\n`);
			const changed = result.changes.map((c) => c.path);
			if (changed.length) await rt.syslog('notice', `applied: ${changed.join(', ')}; reloaded ${result.reloaded.join(', ') || 'nothing'}`);
			const running = [...daemons.values()].map((d) => `${d.name}${d.pid ? ` (pid ${d.pid})` : ''}${d.action === 'start' ? ' started' : ''}`);
			if (problems.length) return fail(`apply: ${changed.length ? `files updated (${changed.join(', ')}), but ` : ''}${problems.join('; ')}`);
			const text = `${changed.length ? `${changed.map((p) => `updated ${p}\n`).join('')}reloaded: ${result.reloaded.join(', ') || 'nothing'}\n` : 'no change\n'}running: ${running.join(', ')}\n`;
			await say(
				{ ok: true, changed, reloaded: result.reloaded, running: Object.fromEntries([...daemons.values()].map((d) => [d.name, { pid: d.pid, action: d.action }])), issues: warnings.map(issueJson), ...(notes.length ? { warning: notes.join('; '), warnings: notes } : {}) },
				text,
			);
			return 0;
		} finally {
			platform.close();
		}
	},
};
