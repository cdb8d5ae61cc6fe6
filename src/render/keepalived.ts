// keepalived.conf from the Model: one vrrp_instance per VRRP group, a sync group when there are
// several, and our hook as the generic `notify` script (the only one that gets TYPE NAME STATE PRIORITY).

import type { Model, Service, VrrpGroup, WanLease } from '../model/types.ts';
import type { Paths } from '../model/paths.ts';
import { SYNC_GROUP_NAME } from '../model/names.ts';
import { HEADER, commandLine, sortedUnique } from './text.ts';
import { kaPath, kaQuoted, kaWord } from './keepalived-text.ts';

/** The track_file that reads paths.trackFile: its number is added to every instance's priority. */
export const TRACK_FILE_NAME = 'ha_router_priority';

/** advert_int in seconds: VRRPv3 counts centiseconds, VRRPv2 whole seconds (keepalived rounds and warns otherwise). */
export function advertInt(group: VrrpGroup): string {
	if (group.version === 2) return String(Math.max(1, Math.round(group.advertIntMs / 1000)));
	return String(Math.max(10, Math.round(group.advertIntMs / 10) * 10) / 1000);
}

function block(indent: string, head: string, lines: readonly string[]): string[] {
	return [`${indent}${head} {`, ...lines.map((l) => `${indent}\t${l}`), `${indent}}`];
}

/** Scheduling: with sub-second adverts a VRRP process that runs late makes the peer take over. */
function autoPriority(model: Model): string[] {
	if (model.groups.length === 0) return [];
	const shortestMs = Math.min(...model.groups.map((g) => Number(advertInt(g)) * 1000));
	// Late by a quarter of the shortest advert interval: switch to realtime (at most RR 10, below
	// threaded IRQs at 50) instead of keepalived's default of waiting for a 1 s delay.
	const delayUs = Math.min(1_000_000, Math.max(10_000, Math.round(shortestMs * 250)));
	return ['max_auto_priority 10', `min_auto_priority_delay ${delayUs}`];
}

function globalDefs(model: Model, trackFile: string): string[] {
	return [
		...block('', 'global_defs', [
			`router_id ${kaWord(model.node.name)}`,
			// OpenWrt has only root; enable_script_security without script_user fails (reference 4.4).
			'script_user root',
			'enable_script_security',
			// GARP/unsolicited NA: a burst the moment we become MASTER (repeat, no gap between packets),
			// a second burst 1 s later (not the default 5 s) for hosts and switch ports that missed the
			// first, a burst when a MASTER hears a lower-priority advert (a split brain healing) so hosts
			// come back, and a refresh every 2 s: when a split heals, the other node often steps down
			// on our first advert before we hear one of its own, so no lower-priority burst is sent
			// and the LAN keeps the other node's MAC for the VIP until this refresh (measured: all
			// traffic stalled to the end of a 6 s window without it). Two ARPs per VIP every 2 s.
			'vrrp_garp_master_repeat 5',
			'vrrp_garp_master_delay 1',
			'vrrp_garp_master_refresh 2',
			'vrrp_garp_master_refresh_repeat 1',
			'vrrp_garp_lower_prio_repeat 5',
			'vrrp_garp_lower_prio_delay 1',
			...autoPriority(model),
		]),
		'',
		// A number written to the file is added to the priority at run time (weight 1): the hook lowers
		// it for a planned switchover without a reload; below -253 means FAULT. init_file creates it as 0.
		// (`vrrp_track_file` is the deprecated spelling.)
		...block('', `track_file ${TRACK_FILE_NAME}`, [`file ${kaQuoted(trackFile)}`, 'weight 1', 'init_file 0']),
	];
}

function syncGroup(model: Model, notify: string): string[] {
	return block('', `vrrp_sync_group ${SYNC_GROUP_NAME}`, [
		...block('', 'group', model.groups.map((g) => kaWord(g.name))),
		// Members' tracker weights are ignored in a sync group without this (keepalived warns).
		'sync_group_tracking_weight',
		// The group is the unit of failover: one event when all members agree, not one per member
		// plus transient mixed states. So the notify is here and members carry none.
		notify,
	]);
}

function addressLine(vip: { address: string; prefix: number; device: string }): string {
	return `${vip.address}/${vip.prefix} dev ${kaWord(vip.device)}`;
}

function instance(model: Model, group: VrrpGroup, notify: string | null, wanInclude: string | null): string[] {
	const node = model.node;
	const family = group.address.family;
	const lines: string[] = [];
	// nopreempt and preempt_delay only work from initial state BACKUP; keepalived clears them
	// (with a warning) after MASTER, so those settings win over initialState.
	const holdBack = node.nopreempt || node.preemptDelay > 0;
	lines.push(`state ${holdBack ? 'BACKUP' : node.initialState}`);
	lines.push(`interface ${kaWord(group.device)}`);
	lines.push(`virtual_router_id ${group.vrid}`);
	lines.push(`priority ${node.priority}`);
	lines.push(`version ${group.version}`);
	lines.push(`advert_int ${advertInt(group)}`);
	if (node.nopreempt) lines.push('nopreempt');
	else if (node.preemptDelay > 0) lines.push(`preempt_delay ${node.preemptDelay}`);

	if (group.unicastPeers.length > 0) {
		lines.push(`unicast_src_ip ${group.address.address}`);
		lines.push(...block('', 'unicast_peer', sortedUnique(group.unicastPeers)));
		// Drop adverts whose source is not a configured peer.
		lines.push('check_unicast_src');
	} else if (family === 4 || group.address.address.startsWith('fe80:')) {
		// IPv6 adverts must come from a link-local address (RFC 5798); keepalived picks one itself.
		lines.push(`mcast_src_ip ${group.address.address}`);
	}

	if (group.auth.type !== 'none') {
		if (group.version === 2) {
			// Always quoted: `#` or `!` in a bare password would silently cut it (reference 4.2).
			lines.push(...block('', 'authentication', [`auth_type ${group.auth.type === 'pass' ? 'PASS' : 'AH'}`, `auth_pass ${kaQuoted(group.auth.password)}`]));
		} else {
			lines.push('# no authentication: VRRPv3 has none (RFC 5798)');
		}
	}

	// An instance advertises one family; addresses of the other go in the excluded block.
	const own = group.vips.filter((v) => v.family === family);
	const other = group.vips.filter((v) => v.family !== family);
	if (own.length > 0) lines.push(...block('', 'virtual_ipaddress', own.map(addressLine)));
	if (other.length > 0) lines.push(...block('', 'virtual_ipaddress_excluded', other.map(addressLine)));
	// The shared WAN's lease address and default route: keepalived adds them (and sends the GARPs
	// from the shared MAC) the moment this instance becomes MASTER, removes them when it leaves.
	// The file changes with the lease (renderKeepalivedWan), this one only with the Model.
	if (wanInclude !== null) lines.push(`include ${wanInclude}`);

	// The instance's own device is always tracked; listing it again is a keepalived warning.
	const tracked = sortedUnique(group.trackInterfaces).filter((d) => d !== group.device);
	if (tracked.length > 0) lines.push(...block('', 'track_interface', tracked.map(kaWord)));
	lines.push(...block('', 'track_file', [`${TRACK_FILE_NAME} weight 1`]));
	if (notify !== null) lines.push(notify);
	return block('', `vrrp_instance ${kaWord(group.name)}`, lines);
}

/**
 * A service with balancer 'lvs': IPVS NAT on the packets our table marks (render/services.ts).
 * wrr stands for the nft balancer's weighted random, sh for its hash; port 0 keeps the client's
 * destination port; the check is keepalived's, on the first port, like the agent's for nft.
 */
function virtualServer(s: Service): string[] {
	const check = s.check === 'tcp' ? block('', 'TCP_CHECK', [`connect_port ${s.ports[0]}`, `connect_timeout ${Math.min(2, s.checkIntervalS - 0.1)}`]) : [];
	return block('', `virtual_server fwmark ${s.fwmark}`, [
		`# service ${kaWord(s.name)}: ${s.vip} ${s.protocol} ${s.ports.join(',')}`,
		`delay_loop ${s.checkIntervalS}`,
		`lb_algo ${s.scheduler === 'hash' ? 'sh' : 'wrr'}`,
		'lb_kind NAT',
		...s.backends.flatMap((b) => block('', `real_server ${b.address} 0`, [`weight ${b.weight}`, ...check])),
	]);
}

/** The whole keepalived.conf; byte-identical for the same Model and Paths. */
export function renderKeepalived(model: Model, paths: Paths): string {
	// keepalived appends TYPE NAME STATE PRIORITY; the script string must be double-quoted with its arguments.
	const notify = `notify ${kaQuoted(commandLine([...paths.self, 'notify']))}`;
	const groups = [...model.groups].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
	const sections: string[][] = [[`# ${HEADER}`, `# keepalived for node ${model.node.name}`], globalDefs(model, paths.trackFile)];
	const grouped = groups.length > 1;
	if (grouped) sections.push(syncGroup({ ...model, groups }, notify));
	// One instance carries the WAN; in a sync group the whole group moves together anyway.
	const wanInclude = model.wan ? kaPath(paths.keepalivedWan) : null;
	groups.forEach((g, i) => sections.push(instance(model, g, grouped ? null : notify, i === 0 ? wanInclude : null)));
	for (const s of model.services) if (s.balancer === 'lvs') sections.push(virtualServer(s));
	return sections.map((s) => s.join('\n')).join('\n\n') + '\n';
}

/**
 * The included WAN part: the lease address on the shared-MAC device and the default route
 * through the lease's gateway, as keepalived-managed addresses outside the adverts. Empty while
 * no lease is known (the DHCP client then configures the first one).
 */
export function renderKeepalivedWan(model: Model, lease: WanLease | null): string {
	const head = `# ${HEADER}\n# the shared WAN lease, owned by keepalived on the MASTER\n`;
	if (!model.wan || !lease || lease.address.family !== 4) return head;
	const dev = kaWord(model.wan.device);
	const lines = block('', 'virtual_ipaddress_excluded', [`${lease.address.address}/${lease.address.prefix} dev ${dev}`]);
	if (lease.gateway) lines.push(...block('', 'virtual_routes', [`0.0.0.0/0 via ${lease.gateway} dev ${dev}`]));
	return head + lines.join('\n') + '\n';
}
