// Kernel settings apply makes on every run (and at boot): runtime state, not files.
import type { Model } from '../model/types.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { run } from '../system/run.ts';

/** sysctl keys in slash form (a device name may hold dots, e.g. eth0.2) with their values. */
export function kernelSettings(model: Model): [string, string][] {
	const settings: [string, string][] = [];
	// Window tracking off for TCP, as state-synced firewalls do: after two nodes forwarded parts of a
	// flow (a VRRP cut) the surviving node's entry holds stale windows, marks the flow's packets
	// invalid, and our WAN rule drops them for good. Other invalid packets are still dropped.
	if (model.sync) settings.push(['net/netfilter/nf_conntrack_tcp_be_liberal', '1']);
	// The WAN port answers ARP only for its own addresses: with Linux's default (0) it also answered
	// for the lease on the shared-MAC macvlan above it, from the port's own MAC, so the ISP could
	// learn the lease at the old master's port and keep sending there after a failover.
	if (model.wan) settings.push([`net/ipv4/conf/${model.wan.parent}/arp_ignore`, '1']);
	// A site's client subnet is routed only in the site's table, which its mark selects: the
	// reverse-path filter (strict on OpenWrt) must see the mark, or it drops every site request.
	for (const s of model.sites) settings.push([`net/ipv4/conf/${s.device}/src_valid_mark`, '1']);
	return settings;
}

/** Sets each; one that fails is a warning in syslog, never a failed apply. */
export async function applyKernelSettings(rt: Runtime, model: Model): Promise<void> {
	for (const [key, value] of kernelSettings(model)) {
		await run(rt, ['sysctl', '-q', '-w', `${key}=${value}`], { timeoutMs: 5000 }).catch((e: Error) => rt.syslog('warning', `could not set ${key}=${value}: ${e.message}`));
	}
}
