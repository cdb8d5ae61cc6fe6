// /etc/config/network edits for the shared WAN: a macvlan device with the pair's MAC on the WAN
// port, and the WAN interface on it with `auto '0'` (only the MASTER brings it up).

import type { Model } from '../model/types.ts';
import type { UciChange, UciEdit } from '../model/uci-edit.ts';
import { deviceSectionName } from '../model/value-rules.ts';

export function renderNetworkEdits(model: Model): UciChange {
	const wan = model.wan;
	if (wan === null) return { package: 'network', edits: [] };
	// Named sections, so applying twice finds and rewrites the same ones instead of appending.
	const dev = deviceSectionName(wan.device);
	const iface = wan.interface;
	const edits: UciEdit[] = [
		{ op: 'section', type: 'device', name: dev },
		{ op: 'set', section: dev, option: 'name', value: wan.device },
		{ op: 'set', section: dev, option: 'type', value: 'macvlan' },
		// The parent of a macvlan is `ifname`, not `device` (netifd macvlan.c).
		{ op: 'set', section: dev, option: 'ifname', value: wan.parent },
		{ op: 'set', section: dev, option: 'macaddr', value: wan.macaddr },
		{ op: 'set', section: dev, option: 'mode', value: wan.mode },
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
