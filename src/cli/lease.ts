// `ha-router lease`: the shared WAN got, renewed or lost its lease (netifd hotplug on OpenWrt,
// our udhcpc script on linux), or the peer's lease beacon arrived (`refresh`, from the lease
// watcher). Remember the lease, hand it to keepalived (which carries the WAN address) and move the
// SNAT address to it.
import { ExitError, UsageError } from '../errors.ts';
import { publishLeaseBeacon } from '../exec/lease-beacon.ts';
import { readKnownLease, writeKnownLease } from '../exec/lease-store.ts';
import { refreshWanLease } from '../exec/keepalived-wan.ts';
import type { Paths } from '../model/paths.ts';
import type { Model, SharedWan } from '../model/types.ts';
import type { Platform } from '../system/platform.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { parseArgs } from './args.ts';
import type { Command } from './command.ts';
import { NODE_OPTIONS, nodePaths } from './context.ts';
import { type LeaseReading, leaseFromStatus, leaseFromUdhcpc } from './lease-input.ts';
import { loadNode, openPlatform } from './node.ts';

const USAGE = `Usage: ha-router lease ifup|ifupdate|ifdown INTERFACE [--root DIR] [--config DIR]
       ha-router lease refresh [--root DIR] [--config DIR]

ifup|ifupdate|ifdown: called by /etc/hotplug.d/iface/30-ha-router (OpenWrt) or ha-router's
udhcpc script (linux) when the shared WAN interface changes. Records the lease in
/var/run/ha-router/lease.json and publishes it to the peer; then as refresh. ifdown keeps the
lease: the next takeover uses it again.
refresh: called by the lease watcher when the peer's lease arrives. Writes the best known lease
to /var/run/ha-router/keepalived-wan.conf (keepalived adds that address and default route when
it becomes MASTER), reloading keepalived if it changed, and points the SNAT rule at it.
Exit: 0 done (or not our WAN interface), 1 failed, 2 usage.
`;

export const lease: Command = {
	name: 'lease',
	summary: 'record a WAN lease change and move the SNAT address to it',
	usage: USAGE,
	async run(rt, argv) {
		const args = parseArgs('lease', argv, [], NODE_OPTIONS);
		const [action, iface] = args.positional;
		const refresh = action === 'refresh' && args.positional.length === 1;
		if (!refresh && (!action || !['ifup', 'ifupdate', 'ifdown'].includes(action) || !iface || args.positional.length > 2)) {
			throw new UsageError('lease: expected ifup|ifupdate|ifdown INTERFACE, or refresh');
		}
		const paths = nodePaths(rt, args);
		const model = await loadNode(rt, paths);
		if (!model.wan || (!refresh && model.wan.interface !== iface)) return 0;
		if (action === 'ifdown') {
			const before = await readKnownLease(rt, paths);
			await rt.syslog('info', `WAN ${iface} down; keeping ${before ? before.address.address : 'no'} lease for the next takeover`);
			return 0;
		}
		// Opened once, when first needed: recording a lease udhcpc reported needs no platform.
		let platform: Platform | undefined;
		const open = async () => (platform ??= await openPlatform(rt, model, paths));
		try {
			if (!refresh && !(await recordLease(rt, model, model.wan, paths, open, `${action} ${iface}`))) return 1;
			return await handOver(rt, model, paths, await open());
		} finally {
			platform?.close();
		}
	},
};

/** Stores and publishes the lease udhcpc (or netifd's status) reports; false when there is none. */
async function recordLease(rt: Runtime, model: Model, wan: SharedWan, paths: Paths, platform: () => Promise<Platform>, event: string): Promise<boolean> {
	const before = await readKnownLease(rt, paths);
	let reading: LeaseReading | null = leaseFromUdhcpc((name) => rt.env(name), rt.wallClock());
	if (!reading) {
		const st = await (await platform()).wanStatus(wan);
		if (st.address) reading = leaseFromStatus({ address: st.address, gateway: st.gateway }, rt.wallClock());
	}
	// Nothing is stored or loaded from a lease with a bad field.
	if (Array.isArray(reading)) {
		const lines = reading.map((p) => `ha-router lease ${event}: ${p}; nothing recorded`);
		for (const l of lines) await rt.syslog('err', l);
		throw new ExitError(1, lines.join('\n'));
	}
	const now = reading;
	if (!now) {
		await rt.syslog('warning', `WAN ${event} without an address`);
		return false;
	}
	await writeKnownLease(rt, paths, now);
	// The standby learns the lease through conntrackd and hands it to its own keepalived.
	if (model.sync) await publishLeaseBeacon(rt, now).catch((e: Error) => rt.syslog('warning', `lease beacon: ${e.message}`));
	if (before?.address.address !== now.address.address || before?.gateway !== now.gateway) {
		await rt.syslog('notice', `WAN lease ${now.address.address}/${now.address.prefix} via ${now.gateway ?? '-'}`);
	}
	return true;
}

/** keepalived's WAN part and the SNAT address follow the best known lease. */
async function handOver(rt: Runtime, model: Model, paths: Paths, platform: Platform): Promise<number> {
	const { changed, lease: l } = await refreshWanLease(rt, model, paths, platform);
	if (changed) {
		const what = l ? `${l.address.address}/${l.address.prefix} via ${l.gateway ?? 'no gateway'}` : 'no lease';
		await rt.syslog('notice', `keepalived's WAN part now holds ${what}; SNAT follows it`);
	}
	return 0;
}
