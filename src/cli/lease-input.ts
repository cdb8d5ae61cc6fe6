// A WAN lease as udhcpc (environment) or netifd/iproute2 (status) reports it, checked field by
// field before `lease` stores it in lease.json or loads it into nft. A bad field is a problem
// sentence, never a value passed on.
import { formatIp, isUnusable, netmaskPrefix, parseIpv4 } from '../config/ip.ts';
import type { Cidr } from '../model/types.ts';
import type { KnownLease } from '../system/platform.ts';
import { shown } from '../util/shown.ts';

/** Checked lease, or one problem per bad field. */
export type LeaseReading = KnownLease | string[];

function unicast(field: string, raw: string, role: string, problems: string[]): string | null {
	const ip = parseIpv4(raw);
	if (!ip) problems.push(`${field} '${shown(raw)}' is not an IPv4 address; valid: a.b.c.d`);
	else if (isUnusable(ip)) problems.push(`${field} '${raw}' cannot be ${role}; valid: a unicast IPv4 address`);
	else return formatIp(ip);
	return null;
}

function prefixLength(field: string, raw: string, problems: string[]): number {
	if (/^\d{1,2}$/.test(raw) && Number(raw) <= 32) return Number(raw);
	problems.push(`${field} '${shown(raw)}' is not a prefix length; valid: 0..32`);
	return 32;
}

/** udhcpc's ip, mask (or subnet), router and lease; null when it reported no address at all. */
export function leaseFromUdhcpc(env: (name: string) => string | undefined, now: number): LeaseReading | null {
	const ip = env('ip');
	if (!ip) return null;
	const problems: string[] = [];
	const address = unicast('ip', ip, 'a lease address', problems);
	const mask = env('mask');
	const subnet = env('subnet');
	let prefix = 32;
	if (mask) prefix = prefixLength('mask', mask, problems);
	else if (subnet) {
		const p = netmaskPrefix(subnet);
		if (p === null) problems.push(`subnet '${shown(subnet)}' is not a netmask; valid: e.g. 255.255.255.0`);
		else prefix = p;
	}
	const routers = (env('router') ?? '').split(/\s+/).filter(Boolean);
	const gateways = routers.map((r) => unicast('router', r, 'a gateway', problems));
	const time = env('lease');
	// udhcpc reports the lease in seconds as a 32-bit number.
	const leaseOk = !time || (/^\d{1,10}$/.test(time) && Number(time) >= 1 && Number(time) <= 0xffffffff);
	if (!leaseOk) problems.push(`lease '${shown(time)}' is not a lease time; valid: 1..4294967295 seconds`);
	if (problems.length > 0 || address === null) return problems;
	return { address: { address, prefix, family: 4 }, gateway: gateways[0] ?? null, since: now, leaseTime: time ? Number(time) : null };
}

/** The address and gateway the WAN interface holds, as the platform read them. */
export function leaseFromStatus(status: { address: Cidr; gateway: string | null }, now: number): LeaseReading {
	const problems: string[] = [];
	const address = unicast('address', status.address.address, 'a lease address', problems);
	const prefix = prefixLength('prefix', String(status.address.prefix), problems);
	const gateway = status.gateway === null ? null : unicast('gateway', status.gateway, 'a gateway', problems);
	if (problems.length > 0 || address === null) return problems;
	return { address: { address, prefix, family: 4 }, gateway, since: now, leaseTime: null };
}
