// `ha-router switchover`: hand the MASTER role to the peer on purpose, make-before-break. After a
// preflight (the peer answers, is BACKUP with keepalived and conntrackd running, holds our
// connections and our lease) this node's priority drops to 1 through the track file: the peer
// sees a lower-priority advert, becomes MASTER (its keepalived puts the VIPs, the WAN address and
// route up and sends the GARPs) and only then does this node hear it and let go. With nopreempt or
// a preempt delay on the peer it would never take over that way, so this node resigns instead
// (FAULT: a priority-0 advert) and drops to priority 1 once the peer is MASTER.
import type { Paths } from '../model/paths.ts';
import type { Model } from '../model/types.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { UsageError } from '../errors.ts';
import { readDemotion, updateDemotion } from '../exec/demotion.ts';
import { tryLock } from '../exec/lock.ts';
import { queryPeer } from '../peer/client.ts';
import { localState, nodeFacts } from '../peer/local-state.ts';
import { PEER_PORT, peerLink, type PeerState } from '../peer/protocol.ts';
import type { Platform } from '../system/platform.ts';
import { parseArgs } from './args.ts';
import { parseUbusArgs } from './ubus-args.ts';
import type { Command } from './command.ts';
import { NODE_OPTIONS, nodePaths } from './context.ts';
import { loadNode, openPlatform } from './node.ts';

export const DEFAULT_WAIT_S = 10;
/** rpcd kills a plugin after 30 s: a switchover must answer before that. */
const MAX_WAIT_S = 25;
export const ASK_MS = 1500;

export interface Check {
	readonly check: string;
	readonly ok: boolean;
	readonly detail: string;
}

/** Whether the peer answered on the peer link (the switchover's and the drain's preflight). */
export function peerCheck(peer: PeerState | null, peerAddress: string | null): Check {
	if (peerAddress === null) return { check: 'peer', ok: false, detail: 'no peer address is configured (sync peer or unicast VRRP peer): the peer cannot be asked' };
	if (peer === null) return { check: 'peer', ok: false, detail: `the peer ${peerAddress} does not answer on the peer link (UDP ${PEER_PORT}) within ${ASK_MS / 1000} s: is its ha-router agent running?` };
	return { check: 'peer', ok: true, detail: `the peer ${peer.node} (${peerAddress}) answers` };
}

/** Connections the peer may lack and still be "in parity": a few in flight, or 1 %. */
export function parityTolerance(here: number): number {
	return Math.max(16, Math.ceil(here * 0.01));
}

/** The preflight (pure): every check with its numbers, given what this node and the peer said. */
export function preflightChecks(model: Model, self: PeerState, peer: PeerState | null, peerAddress: string | null): Check[] {
	const checks: Check[] = [];
	const add = (check: string, ok: boolean, detail: string) => checks.push({ check, ok, detail });
	add('role', self.role === 'MASTER', self.role === 'MASTER' ? 'this node is MASTER' : `this node is ${self.role ?? 'without a role'}: a switchover starts on the MASTER`);
	add('demotion', self.demoted === null, self.demoted === null ? 'not demoted' : `this node is already demoted (${self.demoted})${self.demoted === 'switchover' ? ": 'ha-router switchover --back' restores it" : ''}`);
	add('keepalived', self.keepalived === true, self.keepalived === true ? 'keepalived runs here' : 'keepalived is not running here');
	checks.push(peerCheck(peer, peerAddress));
	if (peer === null) return checks;
	add('peer-role', peer.role === 'BACKUP', `the peer is ${peer.role ?? 'without a role'}${peer.role === 'BACKUP' ? '' : ': it must be BACKUP to take over'}`);
	add('peer-keepalived', peer.keepalived === true, peer.keepalived === true ? 'keepalived runs on the peer' : 'keepalived is not running on the peer');
	if (model.sync) {
		add('peer-conntrackd', peer.conntrackd === true, peer.conntrackd === true ? 'conntrackd runs on the peer' : 'conntrackd is not running on the peer: its connections would be lost');
		const here = self.conntrack.internal;
		const there = peer.conntrack.external ?? peer.conntrack.kernel;
		if (here === null || there === null) {
			add('sync-parity', false, here === null ? 'conntrackd does not answer here (no internal cache count)' : 'the peer did not say how many connections it holds');
		} else {
			const missing = here - there;
			const tol = parityTolerance(here);
			add('sync-parity', missing <= tol, `${here} connections here, ${there} on the peer${missing > tol ? `: ${missing} missing, more than ${tol} allowed (wait for the sync to catch up)` : ''}`);
		}
	}
	if (model.wan) {
		add('peer-lease', self.lease !== null && peer.lease === self.lease, `lease here ${self.lease ?? 'unknown'}, on the peer ${peer.lease ?? 'unknown'}`);
	}
	return checks;
}

function parseWait(value: string | undefined): number {
	if (value === undefined) return DEFAULT_WAIT_S;
	const n = Number(value);
	if (!/^\d+(\.\d+)?$/.test(value) || n < 1 || n > MAX_WAIT_S) throw new UsageError(`switchover: --wait takes seconds from 1 to ${MAX_WAIT_S}, not '${value}'`);
	return n;
}

/** --ubus-args '{"force":true,"wait":5}' from the rpcd plugin, as flags. */
function ubusArgs(json: string): string[] {
	const a = parseUbusArgs('switchover', json, { force: 'boolean', back: 'boolean', wait: 'number' });
	return [...(a['force'] ? ['--force'] : []), ...(a['back'] ? ['--back'] : []), ...(a['wait'] !== undefined ? ['--wait', String(a['wait'])] : [])];
}

async function back(rt: Runtime, model: Model, paths: Paths): Promise<Record<string, unknown>> {
	const before = await readDemotion(rt, paths);
	const after = await updateDemotion(rt, paths, model.node.priority, (d) => ({ ...d, switchover: null }));
	const text = before.switchover
		? `priority restored to ${model.node.priority}${model.node.nopreempt ? ' (nopreempt: the peer stays MASTER)' : ''}`
		: 'this node was not demoted by a switchover; nothing changed';
	return { ok: true, action: 'back', changed: before.switchover !== null, priority: model.node.priority, splitBrain: after.splitBrain !== null, text };
}

async function waitForPeer(rt: Runtime, paths: Paths, link: { local: string; peer: string }, deadline: number): Promise<PeerState | null> {
	while (rt.now() < deadline) {
		const p = await queryPeer(rt, link, Math.min(500, Math.max(50, deadline - rt.now())), false);
		const here = (await nodeFacts(rt, paths)).role;
		if (p && p.role === 'MASTER' && p.wanHeld !== false && here !== 'MASTER') return p;
		// Not faster: both nodes need their CPU for the takeover itself (hooks, conntrackd).
		await rt.sleep(100);
	}
	return null;
}

/** The switchover itself, after the lock: preflight, demotion, the wait for the peer. */
export async function runSwitchover(rt: Runtime, model: Model, paths: Paths, platform: Platform, force: boolean, waitS: number): Promise<{ code: number; out: Record<string, unknown> }> {
	const link = peerLink(model);
	const self = await localState(rt, model, paths, platform);
	const peer = link ? await queryPeer(rt, link, ASK_MS) : null;
	const checks = preflightChecks(model, self, peer, link?.peer ?? null);
	const failed = checks.filter((c) => !c.ok);
	if (failed.length > 0 && !force) {
		return { code: 1, out: { ok: false, action: 'switchover', refused: failed.map((c) => `${c.check}: ${c.detail}`), checks, text: `switchover refused, nothing changed:\n${failed.map((c) => `  ${c.check}: ${c.detail}`).join('\n')}\n(--force goes ahead anyway)` } };
	}
	const method = peer && (peer.nopreempt || peer.preemptDelay > 0) ? 'resign' : 'lower';
	const t0 = rt.now();
	await updateDemotion(rt, paths, model.node.priority, (d) => ({ ...d, switchover: { since: rt.wallClock(), method } }));
	await rt.syslog('notice', `switchover: priority lowered (${method === 'lower' ? 'to 1' : 'FAULT until the peer is MASTER'})${failed.length ? `, forced past: ${failed.map((c) => c.check).join(', ')}` : ''}`);
	const after = link ? await waitForPeer(rt, paths, link, t0 + waitS * 1000) : null;
	const takeoverMs = Math.round(rt.now() - t0);
	if (method === 'resign') await updateDemotion(rt, paths, model.node.priority, (d) => ({ ...d, switchover: d.switchover && { ...d.switchover, method: 'lower' } }));
	if (!after) {
		const text = `the peer did not become MASTER with the WAN within ${waitS} s; this node stays demoted ('ha-router switchover --back' restores it)`;
		await rt.syslog('err', `switchover: ${text}`);
		return { code: 1, out: { ok: false, action: 'switchover', method, checks, takeoverMs: null, text } };
	}
	const full = link ? await queryPeer(rt, link, ASK_MS) : null;
	const flows = { here: self.conntrack.internal, peer: full ? (full.conntrack.external ?? full.conntrack.kernel) : null };
	const text = `${after.node} is MASTER${model.wan ? ' with the WAN' : ''} ${takeoverMs} ms after the priority dropped; connections: ${flows.here ?? '?'} here before, ${flows.peer ?? '?'} on ${after.node} now. This node stays BACKUP at priority 1 until 'ha-router switchover --back'.`;
	await rt.syslog('notice', `switchover: ${text}`);
	return { code: 0, out: { ok: true, action: 'switchover', method, checks, takeoverMs, flows, peer: after.node, text } };
}

export const switchoverCommand: Command = {
	name: 'switchover',
	summary: 'hand the MASTER role to the peer on purpose (--back restores this node)',
	usage: `Usage: ha-router switchover [--wait S] [--force] [--json] [--root DIR] [--config DIR]
       ha-router switchover --back [--json]

On the MASTER: checks that the peer answers on the peer link, is BACKUP, runs keepalived and
conntrackd, holds this node's connections (within 1 % or 16) and the same WAN lease; then lowers this
node's priority to 1 at run time (no restart) and waits up to S seconds (default ${DEFAULT_WAIT_S},
at most ${MAX_WAIT_S}) until the peer is MASTER with the WAN. A failed check refuses with its
numbers and changes nothing, unless --force. The node stays demoted (status says so) until
--back (or --clear) restores its priority; a reboot restores it too.
Exit: 0 switched (or restored), 1 refused or the peer did not take over, 2 usage.
`,
	async run(rt, argv) {
		const pre = parseArgs('switchover', argv, ['force', 'json', 'back', 'clear'], [...NODE_OPTIONS, 'wait', 'ubus-args']);
		const args = pre.values.has('ubus-args') ? parseArgs('switchover', [...argv, ...ubusArgs(pre.values.get('ubus-args')!)], ['force', 'json', 'back', 'clear'], [...NODE_OPTIONS, 'wait', 'ubus-args']) : pre;
		if (args.positional.length) throw new UsageError(`switchover: unexpected argument '${args.positional[0]}'`);
		const goBack = args.flags.has('back') || args.flags.has('clear');
		// --wait is accepted and ignored with --back: ubus callers send every argument with its default.
		if (goBack && args.flags.has('force')) throw new UsageError('switchover: --back takes no --force');
		const waitS = parseWait(args.values.get('wait'));
		const json = args.flags.has('json');
		const paths = nodePaths(rt, args);
		const model = await loadNode(rt, paths);
		await rt.makeDir(paths.runDir);
		const release = await tryLock(rt, `${paths.runDir}/switchover.lock`);
		if (!release) {
			const text = 'another switchover is running on this node; nothing changed';
			if (json) await rt.stdout(`${JSON.stringify({ ok: false, action: 'switchover', text })}\n`);
			else await rt.stderr(`switchover: ${text}\n`);
			return 1;
		}
		try {
			let code = 0;
			let out: Record<string, unknown>;
			if (goBack) {
				out = await back(rt, model, paths);
			} else {
				const platform = await openPlatform(rt, model, paths);
				try {
					({ code, out } = await runSwitchover(rt, model, paths, platform, args.flags.has('force'), waitS));
				} finally {
					platform.close();
				}
			}
			if (json) await rt.stdout(`${JSON.stringify(out)}\n`);
			else if (code === 0) await rt.stdout(`${out.text}\n`);
			else await rt.stderr(`${out.text}\n`);
			return code;
		} finally {
			await release();
		}
	},
};
