// /etc/config/dhcp edits: `option force '1'` on the DHCP sections of the VRRP interfaces.
// dnsmasq's init probes the interface before it serves DHCP and refuses when another server
// answers (dhcp_check, contract C6). At a preempt or a planned switchover the old master's
// dnsmasq can still answer for a moment when the new master starts its own, and the LAN would
// be left without DHCP. ha-router itself runs dnsmasq on the MASTER only.
import { parseUci } from '../config/uci-parse.ts';
import type { Model } from '../model/types.ts';
import type { UciChange, UciEdit } from '../model/uci-edit.ts';

export function renderDhcpEdits(model: Model, dhcpText: string | null, file: string): UciChange {
	const lans = new Set(model.groups.map((g) => g.interface));
	const edits: UciEdit[] = [];
	if (dhcpText !== null && model.node.services.includes('dnsmasq')) {
		for (const s of parseUci(dhcpText, file).sections) {
			const iface = s.options.find((o) => o.name === 'interface')?.values[0];
			const ignored = s.options.find((o) => o.name === 'ignore')?.values[0] === '1';
			if (s.type === 'dhcp' && iface !== undefined && lans.has(iface) && !ignored) edits.push({ op: 'set', section: s.anonymous ? s.id : s.name, option: 'force', value: '1' });
		}
	}
	return { package: 'dhcp', edits };
}
