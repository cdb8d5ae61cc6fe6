// `ha-router drain on|off|status`: on the MASTER, new forwarded connections from the LAN go to the
// peer, which serves them through its own uplink, while the connections this node holds finish
// here; `--wait` blocks until none is left, `--then-switchover` then hands the role over. The peer
// needs a way out of its own (a default route that is not the shared WAN): with one shared WAN,
// which only the master may use, a drain has nowhere to send new connections, and a switchover
// (which keeps every connection through the state sync) is the way to move traffic.
import type { Paths } from '../model/paths.ts';
import type { Cidr, Model } from '../model/types.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { UsageError } from '../errors.ts';
import { inSubnet, networkOf, parseCidr, parseIpv4 } from '../config/ip.ts';
import { countOpen, endDrain, mirroredPackets, readDrain, startDrain, type DrainState } from '../exec/drain.ts';
import { tryLock } from '../exec/lock.ts';
import { queryPeer } from '../peer/client.ts';
import { localState } from '../peer/local-state.ts';
import { peerLink, type PeerState } from '../peer/protocol.ts';
import type { DrainTarget } from '../render/drain.ts';
import { addresses } from '../system/iproute.ts';
import { decodeUtf8 } from '../util/utf8.ts';
import { parseArgs } from './args.ts';
import { parseUbusArgs } from './ubus-args.ts';
import type { Command } from './command.ts';
import { NODE_OPTIONS, nodePaths } from './context.ts';
import { loadNode, openPlatform } from './node.ts';
import { ASK_MS, DEFAULT_WAIT_S, peerCheck, runSwitchover, type Check } from './switchover.ts';

/** A drain can outlast any session worth waiting for; a day bounds the loop. */
const MAX_WAIT_S = 86_400;
/** rpcd kills a plugin after 30 s. */
const MAX_UBUS_WAIT_S = 20;
/** `--wait` returns at most this long after the last connection closed. */
const POLL_MS = 200;
/** While many are open, half as often: each look lists the whole conntrack table (a router's CPU). */
const BUSY_POLL_MS = 400;
const BUSY_OPEN = 64;

/** The IPv4 subnets the drain covers: each VRRP instance's own subnet (pure). */
export function drainedSubnets(model: Model): Cidr[] {
	return model.groups.filter((g) => g.address.family === 4).map((g) => networkOf(g.address));
}

/** The drain's preflight (pure): every check with its numbers, and where the copies go. */
export function drainChecks(model: Model, self: PeerState, peer: PeerState | null, peerAddress: string | null, tcpLoose: boolean): { checks: Check[]; targets: DrainTarget[]; peerAddresses: string[] } {
	const checks: Check[] = [];
	const targets: DrainTarget[] = [];
	const add = (check: string, ok: boolean, detail: string) => checks.push({ check, ok, detail });
	add('role', self.role === 'MASTER', self.role === 'MASTER' ? 'this node is MASTER' : `this node is ${self.role ?? 'without a role'}: a drain starts on the MASTER`);
	// Every later packet of a connection the peer serves must be "new" here to follow the first.
	if (!tcpLoose) add('tcp-loose', false, 'net.netfilter.nf_conntrack_tcp_loose is 0: the packets after the first of a TCP connection handed to the peer would stay here (set it to 1, the kernel default)');
	const lans = model.groups.filter((g) => g.address.family === 4);
	if (lans.length === 0) add('lan', false, 'no VRRP instance has an IPv4 address: the drain covers IPv4 (nft dup exists only in the ip family)');
	checks.push(peerCheck(peer, peerAddress));
	if (peer === null) return { checks, targets, peerAddresses: [] };
	add('peer-role', peer.role === 'BACKUP', `the peer is ${peer.role ?? 'without a role'}${peer.role === 'BACKUP' ? '' : ': it must be BACKUP to serve the new connections'}`);
	if (peer.uplink === undefined || peer.addresses === undefined) {
		add('peer-uplink', false, "the peer's ha-router does not report its routes (an older version): update it first");
		return { checks, targets, peerAddresses: [] };
	}
	const ours = new Set([...(self.addresses ?? []), ...model.groups.flatMap((g) => g.vips.map((v) => `${v.address}/${v.prefix}`))].map((a) => a.split('/')[0]));
	if (peer.uplink === null) {
		add('peer-uplink', false, `the peer has no way out of its own (no default route besides the shared WAN, which only the MASTER holds): new connections would have nowhere to go. A drain needs an uplink per node; 'ha-router switchover' moves every connection instead`);
	} else if (peer.uplink.gateway !== null && ours.has(peer.uplink.gateway)) {
		add('peer-uplink', false, `the peer's default route goes through ${peer.uplink.gateway}, this pair's own address: the new connections would come back here`);
	} else {
		add('peer-uplink', true, `the peer's own uplink: ${peer.uplink.device}${peer.uplink.gateway ? ` via ${peer.uplink.gateway}` : ''}`);
	}
	const peerAddresses = peer.addresses.map((a) => a.split('/')[0]!).filter((a) => !ours.has(a));
	for (const g of lans) {
		const subnet = networkOf(g.address);
		const there = peer.addresses
			.map((a) => parseCidr(a))
			.find((c) => c !== null && c.family === 4 && !ours.has(c.address) && inSubnet(parseIpv4(c.address)!, subnet));
		if (there) targets.push({ device: g.device, peer: there.address });
		add(`peer-address ${g.name}`, there !== undefined, there ? `copies for ${subnet.address}/${subnet.prefix} go to ${there.address} on ${g.device}` : `the peer has no address of its own in ${subnet.address}/${subnet.prefix} (${g.interface}) to send the new connections to`);
	}
	return { checks, targets, peerAddresses };
}

function parseWait(value: string | undefined, max: number): number | null {
	if (value === undefined) return null;
	const n = Number(value);
	if (!/^\d+(\.\d+)?$/.test(value) || n > max) throw new UsageError(`drain: --wait takes seconds from 0 to ${max}, not '${value}'`);
	return n;
}

/** --ubus-args '{"action":"status","wait":5}' from the rpcd plugin, as arguments. */
function ubusArgs(json: string): string[] {
	const o = parseUbusArgs('drain', json, { action: 'string', wait: 'number' });
	const wait = o.wait as number | undefined;
	if (wait !== undefined && !(wait >= 0 && wait <= MAX_UBUS_WAIT_S)) throw new UsageError(`drain: ubus argument 'wait' takes 0 to ${MAX_UBUS_WAIT_S} s through rpcd, not ${wait}`);
	return [...(o.action === undefined ? [] : [String(o.action)]), ...(wait ? ['--wait', String(wait)] : [])];
}

interface Progress {
	readonly open: number;
	readonly mirrored: number | null;
	readonly draining: boolean;
}

/** The open connections and whether the drain is on; the packet counters only when `mirrored`. */
async function progress(rt: Runtime, paths: Paths, subnets: readonly Cidr[], local: ReadonlySet<string>, mirrored = true): Promise<Progress> {
	const state = await readDrain(rt, paths);
	const open = await countOpen(rt, subnets, local, new Set(state?.peerAddresses ?? []));
	return { open, mirrored: state && mirrored ? await mirroredPackets(rt) : null, draining: state !== null };
}

/** Polls until no drained connection is open, the deadline passes, or (with `needDrain`) the drain ends. */
async function waitEmpty(rt: Runtime, paths: Paths, subnets: readonly Cidr[], local: ReadonlySet<string>, waitS: number, needDrain: boolean): Promise<Progress> {
	const deadline = rt.now() + waitS * 1000;
	for (;;) {
		// The counters are read once, for the answer: each look would be one more nft run.
		const p = await progress(rt, paths, subnets, local, false);
		if (p.open === 0 || rt.now() >= deadline || (needDrain && !p.draining)) return { ...p, mirrored: p.draining ? await mirroredPackets(rt) : null };
		await rt.sleep(Math.min(p.open > BUSY_OPEN ? BUSY_POLL_MS : POLL_MS, Math.max(0, deadline - rt.now())));
	}
}

function describe(p: Progress, state: DrainState | null): string {
	const head = state ? `draining to ${state.peer} since ${new Date(state.since).toISOString()}` : 'not draining';
	return `${head}; ${p.open} open TCP connection${p.open === 1 ? '' : 's'} from the LAN here${p.mirrored === null ? '' : `; ${p.mirrored} packets handed to the peer`}`;
}

/** This node's own addresses: a connection to one of them is not forwarded. */
async function localAddresses(rt: Runtime, model: Model): Promise<Set<string>> {
	const own = (await addresses(rt, null)).map((a) => a.local);
	return new Set([...own, ...model.groups.flatMap((g) => [g.address.address, ...g.vips.map((v) => v.address)])]);
}

type Outcome = { code: number; out: Record<string, unknown> };

async function drainOn(rt: Runtime, model: Model, paths: Paths, waitS: number | null, thenSwitchover: boolean): Promise<Outcome> {
	const subnets = drainedSubnets(model);
	const platform = await openPlatform(rt, model, paths);
	try {
		let state = await readDrain(rt, paths);
		let already = true;
		if (!state) {
			already = false;
			const link = peerLink(model);
			const self = await localState(rt, model, paths, platform);
			const peer = link ? await queryPeer(rt, link, ASK_MS) : null;
			const loose = await rt.readFile('/proc/sys/net/netfilter/nf_conntrack_tcp_loose');
			const { checks, targets, peerAddresses } = drainChecks(model, self, peer, link?.peer ?? null, loose === null || decodeUtf8(loose).trim() !== '0');
			const failed = checks.filter((c) => !c.ok);
			if (failed.length > 0) {
				return { code: 1, out: { ok: false, action: 'on', refused: failed.map((c) => `${c.check}: ${c.detail}`), checks, text: `drain refused, nothing changed:\n${failed.map((c) => `  ${c.check}: ${c.detail}`).join('\n')}` } };
			}
			state = { since: rt.wallClock(), peer: peer!.node, targets, subnets, peerAddresses };
			try {
				await startDrain(rt, paths, state);
			} catch (e) {
				// The table loads in one transaction: a refusal leaves nothing behind.
				return { code: 1, out: { ok: false, action: 'on', checks, text: `drain refused, nothing changed: nft could not load the rules (${(e as Error).message}); on OpenWrt the drain needs kmod-nft-dup-inet and kmod-nft-fib` } };
			}
			await rt.syslog('notice', `drain on: new connections from ${subnets.map((s) => `${s.address}/${s.prefix}`).join(', ')} go to ${peer!.node} (${targets.map((t) => `${t.peer} on ${t.device}`).join(', ')})`);
		}
		const local = await localAddresses(rt, model);
		const p = waitS === null && !thenSwitchover ? await progress(rt, paths, subnets, local) : await waitEmpty(rt, paths, subnets, local, waitS ?? DEFAULT_DRAIN_WAIT_S, true);
		const base = { action: 'on', already, since: state.since, peer: state.peer, targets: state.targets, open: p.open, mirrored: p.mirrored };
		if (!p.draining) return { code: 1, out: { ok: false, ...base, text: 'the drain ended (drain off, a role change or apply) before its connections finished' } };
		const text = `${already ? 'already ' : ''}${describe(p, state)}`;
		if ((waitS !== null || thenSwitchover) && p.open > 0) {
			return { code: 1, out: { ok: false, ...base, text: `${text}; still open after ${waitS ?? DEFAULT_DRAIN_WAIT_S} s, the drain stays on${thenSwitchover ? ', no switchover' : ''}` } };
		}
		if (!thenSwitchover) return { code: 0, out: { ok: true, ...base, text } };
		// The switchover ends the drain: this node leaves MASTER and the hook removes the rules.
		const s = await runSwitchover(rt, model, paths, platform, false, DEFAULT_WAIT_S);
		return { code: s.code, out: { ok: s.code === 0, ...base, switchover: s.out, text: `${text}\n${String(s.out.text)}` } };
	} finally {
		platform.close();
	}
}

/** `--then-switchover` without `--wait`: how long the connections may take to finish. */
const DEFAULT_DRAIN_WAIT_S = 300;

export const drainCommand: Command = {
	name: 'drain',
	summary: 'send new connections to the peer while the open ones finish here',
	usage: `Usage: ha-router drain on [--wait S] [--then-switchover] [--json] [--root DIR] [--config DIR]
       ha-router drain off [--json]
       ha-router drain status [--wait S] [--json]

On the MASTER: new IPv4 connections forwarded from the VRRP instances' subnets are handed to the
peer (BACKUP), which serves them through its own uplink; the TCP connections open here finish
here. Checks first that the peer answers, is BACKUP, has a default route of its own (not the
shared WAN) and an address on each drained LAN; a failed check refuses and changes nothing.
--wait S blocks until no TCP connection from the LAN is open here, or S seconds (at most
${MAX_WAIT_S}); --then-switchover then hands the MASTER role over (ha-router switchover; the
wait defaults to ${DEFAULT_DRAIN_WAIT_S} s). A drain ends with off, with any role change of this
node, with apply and with a reboot. Connections to the router itself and to the shared WAN
address (port forwards), and IPv6, stay here.
Exit: 0 done (or nothing to do), 1 refused or still open at the deadline, 2 usage.
`,
	async run(rt, argv) {
		const flags = ['json', 'then-switchover'];
		const valued = [...NODE_OPTIONS, 'wait', 'ubus-args'];
		const pre = parseArgs('drain', argv, flags, valued);
		const args = pre.values.has('ubus-args') ? parseArgs('drain', [...ubusArgs(pre.values.get('ubus-args')!), ...argv], flags, valued) : pre;
		const [action, extra] = args.positional;
		if (action !== 'on' && action !== 'off' && action !== 'status') throw new UsageError(`drain: say on, off or status${action === undefined ? '' : `, not '${action}'`}`);
		if (extra !== undefined) throw new UsageError(`drain: unexpected argument '${extra}'`);
		const waitS = parseWait(args.values.get('wait'), MAX_WAIT_S);
		if (action === 'off' && waitS !== null) throw new UsageError('drain: off takes no --wait');
		if (action !== 'on' && args.flags.has('then-switchover')) throw new UsageError('drain: --then-switchover goes with on');
		const json = args.flags.has('json');
		const paths = nodePaths(rt, args);
		const model = await loadNode(rt, paths);
		await rt.makeDir(paths.runDir);
		let result: Outcome;
		if (action === 'off') {
			const ended = await endDrain(rt, paths, 'drain off');
			result = { code: 0, out: { ok: true, action, changed: ended, text: ended ? 'drain off: new connections are served here again' : 'not draining; nothing changed' } };
		} else if (action === 'status') {
			const subnets = drainedSubnets(model);
			const local = await localAddresses(rt, model);
			const state = await readDrain(rt, paths);
			const p = waitS === null ? await progress(rt, paths, subnets, local) : await waitEmpty(rt, paths, subnets, local, waitS, false);
			const code = waitS !== null && p.open > 0 ? 1 : 0;
			result = { code, out: { ok: code === 0, action, draining: state !== null, since: state?.since ?? null, peer: state?.peer ?? null, targets: state?.targets ?? [], open: p.open, mirrored: p.mirrored, text: describe(p, state) } };
		} else {
			// One drain or switchover at a time on a node.
			const release = await tryLock(rt, `${paths.runDir}/switchover.lock`);
			if (!release) {
				result = { code: 1, out: { ok: false, action, text: 'a switchover or another drain is starting on this node; nothing changed' } };
			} else {
				try {
					result = await drainOn(rt, model, paths, waitS, args.flags.has('then-switchover'));
				} finally {
					await release();
				}
			}
		}
		if (json) await rt.stdout(`${JSON.stringify(result.out)}\n`);
		else if (result.code === 0) await rt.stdout(`${result.out.text}\n`);
		else await rt.stderr(`${result.out.text}\n`);
		return result.code;
	},
};
