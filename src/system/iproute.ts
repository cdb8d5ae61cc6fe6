// iproute2 helpers: JSON reads (`ip -j`) and the VIP local-route fix. keepalived adds each VIP
// with a kernel `local` route whose source is the VIP itself; replies the router originates
// towards that subnet would then leave from the VIP. The fix gives that route the node's own
// address as `src`, and the restore puts the kernel's form back.

import type { Family } from '../model/types.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { SystemError } from '../errors.ts';
import { run } from './run.ts';

export interface IpOptions {
	readonly program?: string;
	readonly timeoutMs?: number;
	/** Run inside this network namespace (`ip -n`), for tests and emulated nodes. */
	readonly netns?: string;
}

export interface IpAddr {
	readonly family: Family;
	readonly local: string;
	readonly prefixlen: number;
}

export interface IpRoute {
	readonly type?: string;
	readonly dst: string;
	readonly gateway?: string;
	readonly dev?: string;
	readonly prefsrc?: string;
	readonly protocol?: string;
	readonly scope?: string;
	readonly table?: string;
}

const familyOf = (address: string): Family => (address.includes(':') ? 6 : 4);

function argv(opts: IpOptions, args: readonly string[]): string[] {
	return [opts.program ?? 'ip', ...(opts.netns ? ['-n', opts.netns] : []), ...args];
}

export async function ip(rt: Runtime, args: readonly string[], opts: IpOptions = {}): Promise<string> {
	return (await run(rt, argv(opts, args), { timeoutMs: opts.timeoutMs ?? 10_000 })).stdout;
}

/** `ip -j ...` parsed; an empty answer is []. */
export async function ipJson<T>(rt: Runtime, args: readonly string[], opts: IpOptions = {}): Promise<T[]> {
	const out = (await ip(rt, ['-j', ...args], opts)).trim();
	if (out === '') return [];
	try {
		const v: unknown = JSON.parse(out);
		return Array.isArray(v) ? (v as T[]) : [];
	} catch {
		throw new SystemError('ip', `unexpected output of ip -j ${args.join(' ')}: ${out.slice(0, 120)}`);
	}
}

/** Whether a link exists (a missing one is not an error). */
export async function linkExists(rt: Runtime, dev: string, opts: IpOptions = {}): Promise<boolean> {
	const r = await run(rt, argv(opts, ['link', 'show', 'dev', dev]), { okCodes: [0, 1], timeoutMs: opts.timeoutMs ?? 10_000 });
	return r.code === 0;
}

/** Global addresses of a device. */
/**
 * The known lease's address and default route on `dev` at once (before DHCP answers), unless the
 * address is there already (keepalived's). True when it was.
 */
export async function putLeaseUp(rt: Runtime, dev: string, lease: { address: { address: string; prefix: number }; gateway: string | null }): Promise<boolean> {
	if ((await addresses(rt, dev)).some((a) => a.local === lease.address.address)) return true;
	await ip(rt, ['-4', 'addr', 'replace', `${lease.address.address}/${lease.address.prefix}`, 'dev', dev]);
	if (lease.gateway) await ip(rt, ['-4', 'route', 'replace', 'default', 'via', lease.gateway, 'dev', dev]);
	return false;
}

/** Global addresses of `dev`, or of every device when it is null. */
export async function addresses(rt: Runtime, dev: string | null, opts: IpOptions = {}): Promise<IpAddr[]> {
	const links = await ipJson<{ addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[] }>(rt, ['addr', 'show', ...(dev === null ? [] : ['dev', dev])], opts);
	return links
		.flatMap((l) => l.addr_info ?? [])
		.filter((a) => a.scope === undefined || a.scope === 'global')
		.map((a) => ({ family: a.family === 'inet6' ? 6 : 4, local: a.local, prefixlen: a.prefixlen }));
}

/** The IPv4 default route through `dev`, if any. */
export async function defaultRoute(rt: Runtime, dev: string, opts: IpOptions = {}): Promise<IpRoute | null> {
	const routes = await ipJson<IpRoute>(rt, ['-4', 'route', 'show', 'default', 'dev', dev], opts);
	return routes[0] ?? null;
}

/** The kernel `local` route of an address (table local), or null. */
export async function localRoute(rt: Runtime, address: string, opts: IpOptions = {}): Promise<IpRoute | null> {
	const fam = `-${familyOf(address)}`;
	const routes = await ipJson<IpRoute>(rt, [fam, 'route', 'show', 'table', 'local', 'type', 'local', address], opts);
	return routes.find((r) => r.dst === address) ?? null;
}

function localRouteArgs(vip: string, dev: string, src: string): string[] {
	return [`-${familyOf(vip)}`, 'route', 'replace', 'table', 'local', 'local', vip, 'dev', dev, 'proto', 'kernel', 'scope', 'host', 'src', src];
}

async function hasAddress(rt: Runtime, vip: string, dev: string, opts: IpOptions): Promise<boolean> {
	return (await addresses(rt, dev, opts)).some((a) => a.local === vip);
}

/**
 * Gives the VIP's local route `src <primary>`, only while the VIP is on the device: `replace`
 * would otherwise create a local route for an address this node does not hold. Idempotent.
 */
export async function fixVipLocalRoute(rt: Runtime, vip: string, dev: string, primary: string, opts: IpOptions = {}): Promise<void> {
	if (!(await hasAddress(rt, vip, dev, opts))) return;
	await ip(rt, localRouteArgs(vip, dev, primary), opts);
}

/**
 * On a node leaving MASTER: deletes the VIP's local route, whether keepalived has removed the VIP
 * yet or not. A standby must neither deliver to nor answer ARP for the VIP, and no rewritten form
 * survives the address: the kernel deletes a secondary address's local route only with the
 * source it gave it (the subnet's primary), so a route "restored" to `src <vip>` outlived the VIP
 * and both nodes answered ARP for it. keepalived's next `ip addr add` on MASTER creates it anew.
 */
export async function restoreVipLocalRoute(rt: Runtime, vip: string, dev: string, opts: IpOptions = {}): Promise<void> {
	if (!(await localRoute(rt, vip, opts))) return;
	await ip(rt, [`-${familyOf(vip)}`, 'route', 'del', 'table', 'local', 'local', vip, 'dev', dev], opts);
}
