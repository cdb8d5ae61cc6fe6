// `ha-router lease`: the shared WAN got, renewed or lost its lease (netifd hotplug on OpenWrt,
// our udhcpc script on linux). Remember the lease for the next takeover and move the SNAT
// address to it in one nft transaction.
import { ExitError, UsageError } from '../errors.ts';
import { publishLeaseBeacon } from '../exec/lease-beacon.ts';
import { readKnownLease, writeKnownLease } from '../exec/lease-store.ts';
import { loadNftTable } from '../exec/system-effects.ts';
import { parseArgs } from './args.ts';
import type { Command } from './command.ts';
import { NODE_OPTIONS, nodePaths } from './context.ts';
import { type LeaseReading, leaseFromStatus, leaseFromUdhcpc } from './lease-input.ts';
import { loadNode, openPlatform } from './node.ts';

const USAGE = `Usage: ha-router lease ifup|ifupdate|ifdown INTERFACE [--root DIR] [--config DIR]

Called by /etc/hotplug.d/iface/30-ha-router (OpenWrt) or ha-router's udhcpc script (linux)
when the shared WAN interface changes. Records the lease in /var/run/ha-router/lease.json and
points the SNAT rule of table inet ha_router at the new address. ifdown keeps the address:
the next takeover asks for it again.
Exit: 0 done (or not our WAN interface), 1 failed, 2 usage.
`;

export const lease: Command = {
	name: 'lease',
	summary: 'record a WAN lease change and move the SNAT address to it',
	usage: USAGE,
	async run(rt, argv) {
		const args = parseArgs('lease', argv, [], NODE_OPTIONS);
		const [action, iface] = args.positional;
		if (!action || !['ifup', 'ifupdate', 'ifdown'].includes(action) || !iface || args.positional.length > 2) {
			throw new UsageError('lease: expected ifup|ifupdate|ifdown INTERFACE');
		}
		const paths = nodePaths(rt, args);
		const model = await loadNode(rt, paths);
		if (!model.wan || model.wan.interface !== iface) return 0;
		const before = await readKnownLease(rt, paths);
		if (action === 'ifdown') {
			await rt.syslog('info', `WAN ${iface} down; keeping ${before ? before.address.address : 'no'} lease for the next takeover`);
			return 0;
		}
		let reading: LeaseReading | null = leaseFromUdhcpc((name) => rt.env(name), rt.wallClock());
		if (!reading) {
			const platform = await openPlatform(rt, model, paths);
			try {
				const st = await platform.wanStatus(model.wan);
				if (st.address) reading = leaseFromStatus({ address: st.address, gateway: st.gateway }, rt.wallClock());
			} finally {
				platform.close();
			}
		}
		// Nothing is stored or loaded from a lease with a bad field.
		if (Array.isArray(reading)) {
			const lines = reading.map((p) => `ha-router lease ${action} ${iface}: ${p}; nothing recorded`);
			for (const l of lines) await rt.syslog('err', l);
			throw new ExitError(1, lines.join('\n'));
		}
		const now = reading;
		if (!now) {
			await rt.syslog('warning', `WAN ${iface} ${action} without an address`);
			return 1;
		}
		await writeKnownLease(rt, paths, now);
		// The standby learns the lease through conntrackd; its first takeover then needs no DHCP wait.
		if (model.sync) await publishLeaseBeacon(rt, now).catch((e: Error) => rt.syslog('warning', `lease beacon: ${e.message}`));
		if (before?.address.address !== now.address.address || before?.address.prefix !== now.address.prefix) {
			await loadNftTable(rt, model, paths);
			await rt.syslog('notice', `WAN lease ${now.address.address}/${now.address.prefix} via ${now.gateway ?? '-'}: SNAT now translates to it`);
		}
		return 0;
	},
};
