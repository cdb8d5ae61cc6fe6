// /etc/config/network edits for the shared WAN: a macvlan device with the pair's MAC on the WAN
// port, kept up and silent on both nodes by an interface of its own (proto none), and the WAN
// interface on it with `auto '0'`: only the MASTER runs its DHCP client. keepalived carries the
// lease address and default route (docs/decisions.md, "keepalived carries the WAN").

import type { Model } from '../model/types.ts';
import type { UciChange, UciEdit } from '../model/uci-edit.ts';
import { wanHoldInterface } from '../model/names.ts';
import { deviceSectionName } from '../model/value-rules.ts';

export function renderNetworkEdits(model: Model): UciChange {
	const wan = model.wan;
	if (wan === null) return { package: 'network', edits: [] };
	// Named sections, so applying twice finds and rewrites the same ones instead of appending.
	const dev = deviceSectionName(wan.device);
	const iface = wan.interface;
	const hold = wanHoldInterface(wan.device);
	const edits: UciEdit[] = [
		{ op: 'section', type: 'device', name: dev },
		{ op: 'set', section: dev, option: 'name', value: wan.device },
		{ op: 'set', section: dev, option: 'type', value: 'macvlan' },
		// The parent of a macvlan is `ifname`, not `device` (netifd macvlan.c).
		{ op: 'set', section: dev, option: 'ifname', value: wan.parent },
		{ op: 'set', section: dev, option: 'macaddr', value: wan.macaddr },
		{ op: 'set', section: dev, option: 'mode', value: wan.mode },
		// Silent on the standby: no IPv6 link-local (DAD, RS, MLD from the shared MAC), and with no
		// address and no route through it the strict reverse-path filter drops what arrives and
		// answers no ARP (measured). netifd writes both before it sets the device up.
		{ op: 'set', section: dev, option: 'ipv6', value: '0' },
		{ op: 'set', section: dev, option: 'rpfilter', value: 'strict' },
		// netifd deletes a macvlan when its last interface releases it: this one never does.
		{ op: 'section', type: 'interface', name: hold },
		{ op: 'set', section: hold, option: 'device', value: wan.device },
		{ op: 'set', section: hold, option: 'proto', value: 'none' },
		{ op: 'set', section: hold, option: 'auto', value: '1' },
		{ op: 'section', type: 'interface', name: iface },
		{ op: 'set', section: iface, option: 'device', value: wan.device },
		// A legacy `ifname` on the interface would compete with `device`.
		{ op: 'delete', section: iface, option: 'ifname' },
		{ op: 'set', section: iface, option: 'proto', value: wan.proto },
		{ op: 'set', section: iface, option: 'auto', value: '0' },
		// netifd's dhcp.sh runs udhcpc with -R (release on exit) unless norelease is set: a node
		// leaving MASTER must never release the lease the pair shares.
		{ op: 'set', section: iface, option: 'norelease', value: '1' },
	];
	// dhcp.sh passes `ipaddr` to udhcpc as -r: the known address is asked for by name.
	if (wan.requestAddress !== null) edits.push({ op: 'set', section: iface, option: 'ipaddr', value: wan.requestAddress });
	return { package: 'network', edits };
}
