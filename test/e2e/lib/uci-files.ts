// The per-node UCI files /etc/config/network and /etc/config/ha-router, as a user would write them on the router.
// Format of ha-router: docs/config.md (this follows the contract in issue 7 until that document exists).
import path from 'node:path';
import { VIP_CIDR, WAN_DEV, WAN_MAC, writeFile, type RouterNode } from './testbed.ts';

export interface NodeRole {
	/** VRRP priority (higher wins). */
	priority: number;
	/** Initial state hint: 'MASTER' or 'BACKUP'. */
	state: 'MASTER' | 'BACKUP';
	nopreempt: boolean;
	/** Role services: started only on the master. */
	services: string[];
	vrid: number;
	/** '' leaves advert_int out: the shipped default applies. */
	advertInt: string;
}

export function defaultRole(node: RouterNode): NodeRole {
	return {
		priority: node.index === 0 ? 200 : 100,
		state: node.index === 0 ? 'MASTER' : 'BACKUP',
		nopreempt: false,
		services: ['dnsmasq'],
		vrid: 51,
		// The suite runs 0.1 s adverts; `make bench` sets HA_E2E_ADVERT_INT='' (the shipped default, 0.03 s): the
		// openwrt boot-together test failed once in 3 runs at 0.03 s (no DHCP on either node at the end; open).
		advertInt: process.env.HA_E2E_ADVERT_INT ?? '0.1',
	};
}

export function networkUci(node: RouterNode): string {
	return `config interface 'loopback'
	option device 'lo'
	option proto 'static'
	option ipaddr '127.0.0.1'
	option netmask '255.0.0.0'

config interface 'lan'
	option device '${node.ports.lan}'
	option proto 'static'
	option ipaddr '${node.lanAddr}'
	option netmask '255.255.255.0'

config interface 'wan'
	option device '${node.ports.wan}'
	option proto 'dhcp'

config interface 'sync'
	option device '${node.ports.sync}'
	option proto 'static'
	option ipaddr '${node.syncAddr}'
	option netmask '255.255.255.252'
`;
}

export function haRouterUci(node: RouterNode, role: NodeRole): string {
	const peers = node.lanPeers.map((p) => `\tlist unicast_peer '${p}'\n`).join('');
	const services = role.services.map((s) => `\tlist service '${s}'\n`).join('');
	return `config node 'node'
	option enabled '1'
	option name '${node.name}'
	option priority '${role.priority}'
	option state '${role.state.toLowerCase()}'
	option nopreempt '${role.nopreempt ? 1 : 0}'
${services}
config vrrp 'lan'
	option interface 'lan'
	option vrid '${role.vrid}'
	option version '3'
${role.advertInt === '' ? '' : `\toption advert_int '${role.advertInt}'\n`}${peers}	list vip '${VIP_CIDR}'

config wan 'wan'
	option interface 'wan'
	option parent '${node.ports.wan}'
	option device '${WAN_DEV}'
	option macaddr '${WAN_MAC}'
	option proto 'dhcp'

config sync 'sync'
	option interface 'sync'
	option peer '${node.syncPeer ?? ''}'
	option transport 'udp'
	option port '3780'
`;
}

/** Writes <root>/etc/config/network and <root>/etc/config/ha-router for a node. */
export function writeUciFiles(node: RouterNode, role: NodeRole): void {
	writeFile(path.join(node.root, 'etc/config/network'), networkUci(node));
	writeFile(path.join(node.root, 'etc/config/ha-router'), haRouterUci(node, role));
}
