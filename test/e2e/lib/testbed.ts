// The emulated testbed: an ISP segment with a DHCP server and an "internet" server, N routers, a LAN switch and
// clients, every one in a network namespace of its own named with a per-run prefix, so parallel runs never collide.
//
//   srv (203.0.113.10) ── isp: br0 198.51.100.1 + dnsmasq, routes 203.0.113.0/24 ── wan0 of each router
//   router r<i>: wan0 (WAN port; the shared-MAC macvlan 'hawan' sits on it), lan0 192.168.1.(2+i), sync0 10.255.0.x/30
//   lan: br0 joins every router's lan0 and every client's eth0; clients 192.168.1.(100+j), default via the VIP .1
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { ipn, killPid, nsRun, pidAlive, run, sleep } from './exec.ts';
import { writeInitScripts } from './init-scripts.ts';

export const VIP = '192.168.1.1';
export const VIP_CIDR = '192.168.1.1/24';
export const WAN_MAC = '02:00:5e:00:01:01';
export const ISP_GW = '198.51.100.1';
export const SERVER = '203.0.113.10';
export const WAN_DEV = 'hawan';

export interface RouterNode {
	index: number;
	/** Node name, also the directory under the temp root: 'r0', 'r1', ... */
	name: string;
	ns: string;
	/** The node's --root: <tmp>/<name>. */
	root: string;
	lanAddr: string;
	syncAddr: string;
	/** The sync peer's address (the other router of the pair), or undefined for a router without a pair. */
	syncPeer: string | undefined;
	ports: { wan: string; lan: string; sync: string };
	/** The other routers' LAN addresses (unicast VRRP peers). */
	lanPeers: string[];
}

export interface ClientNode {
	name: string;
	ns: string;
	addr: string;
}

/** A remote site (TestbedOptions.sites): its router and one client, behind a link into every router. */
export interface SiteNode {
	/** The site number: 10 -> namespace s10, routers' device 'site10', link 172.16.10.0/24. */
	id: number;
	ns: string;
	/** The site router's address on the link (the pair's `gateway` for the site). */
	gateway: string;
	/** The site VIP the pair holds on the link: the site's default route. */
	vip: string;
	/** The client address, the same at every site. */
	client: string;
}

export const SITE_CLIENT = '10.0.0.5';
export const siteDev = (id: number): string => `site${id}`;
export const siteAddr = (node: RouterNode, id: number): string => `172.16.${id}.${11 + node.index}`;

export interface Testbed {
	prefix: string;
	tmp: string;
	ns: { isp: string; srv: string; lan: string; isp2?: string };
	routers: RouterNode[];
	clients: ClientNode[];
	/** Empty unless TestbedOptions.sites. */
	sites: SiteNode[];
	server: { ns: string; addr: string };
	/** Registers a child process the testbed must kill at destroy(). */
	track(child: ChildProcess): ChildProcess;
	/** Registers a cleanup that destroy() runs first (a stack's per-node services living outside the namespaces). */
	defer(cleanup: () => Promise<void>): void;
	/** Kills everything, deletes the namespaces and the temp directory. Safe to call twice. */
	destroy(): Promise<void>;
}

export interface TestbedOptions {
	routers?: number;
	clients?: number;
	/** Parent directory of the temp root (default os.tmpdir(), or $HR_TESTBED_TMP). */
	tmpParent?: string;
	/** Give every router an uplink of its own besides the shared WAN (a drain needs one on the peer). */
	uplinks?: boolean;
	/**
	 * Remote sites by number (e.g. [10, 20]) that all use the client subnet 10.0.0.0/24 and the same client address
	 * (SITE_CLIENT). Each site is one namespace: a bridge joining a veth from every router (device site<id> there,
	 * 172.16.<id>.(11+i)/24), the site router's address 172.16.<id>.2 on it, and the client address on its loopback
	 * with the default route via the site VIP 172.16.<id>.1. No 802.1Q here: one veth per site stands for a VLAN.
	 */
	sites?: readonly number[];
	/** Put the per-node uplinks on a second ISP of their own (namespace isp2, 192.0.2.1, static addressing) with its
	 * own path to the internet server, instead of on the first ISP's bridge (issue 14's several WANs). */
	secondIsp?: boolean;
}

/** The second ISP's link to the internet server (TestbedOptions.secondIsp). */
export const ISP2_SRV_LINK = { isp2: '10.0.2.1', srv: '10.0.2.2' };

/** The per-node uplinks (TestbedOptions.uplinks): a second ISP segment on the ISP's bridge, masqueraded by the router. */
export const UPLINK_GW = '192.0.2.1';
export const UPLINK_DEV = 'up0';
export const uplinkAddr = (node: RouterNode): string => `192.0.2.${10 + node.index}`;

const PREFIX_RE = /^hr7([0-9a-z]+)x[0-9a-z]+-/;

/** A unique prefix: 'hr7' + our pid (base 36) + 'x' + a random decimal tag + '-'. The pid lets reapStale() find
 * orphans; the tag has no 'x', so the last 'x' ends the pid (a tag with an 'x' made reapStale take a live run's
 * directory for an orphan). */
export function newPrefix(): string {
	return `hr7${process.pid.toString(36)}x${Math.floor(Math.random() * 10_000)}-`;
}

export function listNetns(): string[] {
	const r = run('ip', ['netns', 'list'], { check: false });
	return r.stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n !== '');
}

/** Kills every process in a namespace (SIGKILL, by pid), repeating a few times for processes started meanwhile. */
export async function killNamespace(ns: string): Promise<void> {
	for (let round = 0; round < 10; round++) {
		const r = run('ip', ['netns', 'pids', ns], { check: false });
		const pids = r.stdout.split(/\s+/).filter((s) => /^\d+$/.test(s)).map(Number).filter((p) => p !== process.pid);
		if (pids.length === 0) return;
		for (const p of pids) killPid(p, 'SIGKILL');
		await sleep(50);
	}
}

async function deleteNamespace(ns: string): Promise<void> {
	await killNamespace(ns);
	run('ip', ['netns', 'del', ns], { check: false });
}

function ownerGone(name: string): boolean {
	const m = PREFIX_RE.exec(name);
	if (!m?.[1]) return false;
	const pid = Number.parseInt(m[1], 36);
	return pid !== process.pid && !pidAlive(pid);
}

/** Deletes namespaces and temp dirs of earlier runs whose owning process is gone (a killed vitest worker, a
 * crashed bench). */
export async function reapStale(tmpParent = process.env.HR_TESTBED_TMP ?? tmpdir()): Promise<string[]> {
	const reaped: string[] = [];
	for (const ns of listNetns()) {
		if (!ownerGone(ns)) continue;
		await deleteNamespace(ns);
		reaped.push(ns);
	}
	for (const d of existsSync(tmpParent) ? readdirSync(tmpParent) : []) {
		if (!ownerGone(d)) continue;
		rmSync(path.join(tmpParent, d), { recursive: true, force: true });
		reaped.push(d);
	}
	return reaped;
}

function sysctl(ns: string, key: string, value: string): void {
	nsRun(ns, 'sysctl', ['-q', '-w', `${key}=${value}`]);
}

function offloadOff(ns: string, dev: string): void {
	// The checksum offload trap (TESTBED.md): DHCP offers with unfinished checksums are dropped by udhcpc.
	nsRun(ns, 'ethtool', ['-K', dev, 'tx', 'off'], { check: false });
}

export async function createTestbed(opts: TestbedOptions = {}): Promise<Testbed> {
	const nRouters = opts.routers ?? 2;
	const nClients = opts.clients ?? 1;
	const prefix = newPrefix();
	const parent = opts.tmpParent ?? process.env.HR_TESTBED_TMP ?? tmpdir();
	mkdirSync(parent, { recursive: true });
	const tmp = mkdtempSync(path.join(parent, prefix));
	const made: string[] = [];
	const children: ChildProcess[] = [];
	const cleanups: (() => Promise<void>)[] = [];
	let destroyed = false;

	const ns: Testbed['ns'] = { isp: `${prefix}isp`, srv: `${prefix}srv`, lan: `${prefix}lan`, ...(opts.secondIsp ? { isp2: `${prefix}isp2` } : {}) };
	const routers: RouterNode[] = [];
	const clients: ClientNode[] = [];
	const sites: SiteNode[] = [];

	const destroy = async (): Promise<void> => {
		if (destroyed) return;
		destroyed = true;
		for (const f of cleanups.splice(0).reverse()) await f().catch(() => undefined);
		for (const c of children) if (c.pid !== undefined && c.exitCode === null) killPid(c.pid, 'SIGKILL');
		// Routers first (their daemons), then the rest.
		const order = [...routers.map((r) => r.ns), ...clients.map((c) => c.ns), ...sites.map((s) => s.ns), ns.srv, ns.isp, ...(ns.isp2 ? [ns.isp2] : []), ns.lan];
		for (const n of order) if (made.includes(n)) await killNamespace(n);
		for (const n of order) if (made.includes(n)) run('ip', ['netns', 'del', n], { check: false });
		rmSync(tmp, { recursive: true, force: true });
	};

	const addNs = (name: string): void => {
		run('ip', ['netns', 'add', name]);
		made.push(name);
		ipn(name, ['link', 'set', 'lo', 'up']);
	};

	try {
		await reapStale(parent);
		// ISP: a bridge, the DHCP server, and the route to the "internet" server.
		addNs(ns.isp);
		addNs(ns.srv);
		addNs(ns.lan);
		ipn(ns.isp, ['link', 'add', 'br0', 'type', 'bridge']);
		ipn(ns.isp, ['addr', 'add', `${ISP_GW}/24`, 'dev', 'br0']);
		ipn(ns.isp, ['link', 'set', 'br0', 'up']);
		offloadOff(ns.isp, 'br0');
		sysctl(ns.isp, 'net.ipv4.ip_forward', '1');
		ipn(ns.isp, ['link', 'add', 'srv0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.srv]);
		ipn(ns.isp, ['addr', 'add', '203.0.113.1/24', 'dev', 'srv0']);
		ipn(ns.isp, ['link', 'set', 'srv0', 'up']);
		ipn(ns.srv, ['addr', 'add', `${SERVER}/24`, 'dev', 'eth0']);
		ipn(ns.srv, ['link', 'set', 'eth0', 'up']);
		ipn(ns.srv, ['route', 'add', 'default', 'via', '203.0.113.1']);

		// LAN switch.
		ipn(ns.lan, ['link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
		ipn(ns.lan, ['link', 'set', 'br0', 'up']);

		for (let i = 0; i < nRouters; i++) {
			const name = `r${i}`;
			const rns = `${prefix}${name}`;
			addNs(rns);
			const pair = i ^ 1;
			const hasPair = pair < nRouters;
			const base = 4 * Math.floor(i / 2);
			const node: RouterNode = {
				index: i,
				name,
				ns: rns,
				root: path.join(tmp, name),
				lanAddr: `192.168.1.${2 + i}`,
				syncAddr: `10.255.0.${base + 1 + (i % 2)}`,
				syncPeer: hasPair ? `10.255.0.${base + 1 + (pair % 2)}` : undefined,
				ports: { wan: 'wan0', lan: 'lan0', sync: 'sync0' },
				lanPeers: Array.from({ length: nRouters }, (_, k) => k).filter((k) => k !== i).map((k) => `192.168.1.${2 + k}`),
			};
			routers.push(node);
			ipn(rns, ['link', 'add', 'wan0', 'type', 'veth', 'peer', 'name', name, 'netns', ns.isp]);
			ipn(ns.isp, ['link', 'set', name, 'master', 'br0', 'up']);
			offloadOff(ns.isp, name);
			ipn(rns, ['link', 'set', 'wan0', 'up']);
			ipn(rns, ['link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', name, 'netns', ns.lan]);
			ipn(ns.lan, ['link', 'set', name, 'master', 'br0', 'up']);
			ipn(rns, ['addr', 'add', `${node.lanAddr}/24`, 'dev', 'lan0']);
			ipn(rns, ['link', 'set', 'lan0', 'up']);
			sysctl(rns, 'net.ipv4.ip_forward', '1');
			sysctl(rns, 'net.ipv4.conf.all.rp_filter', '0');
			sysctl(rns, 'net.ipv4.conf.default.rp_filter', '0');
			for (const d of ['etc/config', 'etc/init.d', 'etc/ha-router', 'etc/conntrackd', 'etc/keepalived', 'var/run', 'var/lock', 'var/log', 'var/lib', 'usr/share/udhcpc']) {
				mkdirSync(path.join(node.root, d), { recursive: true });
			}
			writeInitScripts(node);
		}
		if (opts.uplinks || opts.secondIsp) {
			// Each router's own way out: a default route less preferred than the shared WAN's, and NAT to its own
			// address (what fw4's wan zone does on OpenWrt).
			const uplinkIsp = ns.isp2 ?? ns.isp;
			if (ns.isp2) {
				// The second ISP: its own switch and its own line to the internet server, which answers its customers
				// (192.0.2.0/24) through it.
				addNs(ns.isp2);
				ipn(ns.isp2, ['link', 'add', 'br0', 'type', 'bridge']);
				ipn(ns.isp2, ['link', 'set', 'br0', 'up']);
				sysctl(ns.isp2, 'net.ipv4.ip_forward', '1');
				ipn(ns.isp2, ['link', 'add', 'srv1', 'type', 'veth', 'peer', 'name', 'eth1', 'netns', ns.srv]);
				ipn(ns.isp2, ['addr', 'add', `${ISP2_SRV_LINK.isp2}/30`, 'dev', 'srv1']);
				ipn(ns.isp2, ['link', 'set', 'srv1', 'up']);
				ipn(ns.isp2, ['route', 'add', 'default', 'via', ISP2_SRV_LINK.srv]);
				ipn(ns.srv, ['addr', 'add', `${ISP2_SRV_LINK.srv}/30`, 'dev', 'eth1']);
				ipn(ns.srv, ['link', 'set', 'eth1', 'up']);
				// From the server's one address (a UDP socket on 0.0.0.0 would otherwise answer from the link's).
				ipn(ns.srv, ['route', 'add', '192.0.2.0/24', 'via', ISP2_SRV_LINK.isp2, 'src', SERVER]);
				sysctl(ns.srv, 'net.ipv4.conf.all.rp_filter', '0');
			}
			ipn(uplinkIsp, ['addr', 'add', `${UPLINK_GW}/24`, 'dev', 'br0']);
			for (const node of routers) {
				ipn(node.ns, ['link', 'add', UPLINK_DEV, 'type', 'veth', 'peer', 'name', `u${node.index}`, 'netns', uplinkIsp]);
				ipn(uplinkIsp, ['link', 'set', `u${node.index}`, 'master', 'br0', 'up']);
				ipn(node.ns, ['addr', 'add', `${uplinkAddr(node)}/24`, 'dev', UPLINK_DEV]);
				ipn(node.ns, ['link', 'set', UPLINK_DEV, 'up']);
				ipn(node.ns, ['route', 'add', 'default', 'via', UPLINK_GW, 'metric', '500']);
				nsRun(node.ns, 'nft', ['-f', '-'], { input: `table ip testbed_uplink {\n\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\toifname "${UPLINK_DEV}" masquerade\n\t}\n}\n` });
			}
		}
		for (const id of opts.sites ?? []) {
			const site: SiteNode = { id, ns: `${prefix}s${id}`, gateway: `172.16.${id}.2`, vip: `172.16.${id}.1`, client: SITE_CLIENT };
			addNs(site.ns);
			sites.push(site);
			ipn(site.ns, ['link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
			ipn(site.ns, ['addr', 'add', `${site.gateway}/24`, 'dev', 'br0']);
			ipn(site.ns, ['link', 'set', 'br0', 'up']);
			// ARP from the link address, not from the client's (which only the site's own table routes back).
			sysctl(site.ns, 'net.ipv4.conf.all.arp_announce', '2');
			ipn(site.ns, ['addr', 'add', `${SITE_CLIENT}/32`, 'dev', 'lo']);
			ipn(site.ns, ['route', 'add', 'default', 'via', site.vip]);
			for (const node of routers) {
				ipn(node.ns, ['link', 'add', siteDev(id), 'type', 'veth', 'peer', 'name', node.name, 'netns', site.ns]);
				ipn(site.ns, ['link', 'set', node.name, 'master', 'br0', 'up']);
				ipn(node.ns, ['addr', 'add', `${siteAddr(node, id)}/24`, 'dev', siteDev(id)]);
				ipn(node.ns, ['link', 'set', siteDev(id), 'up']);
			}
		}
		// Sync links: one veth pair per router pair (r0-r1, r2-r3, ...).
		for (const node of routers) {
			if (node.index % 2 !== 0 || node.syncPeer === undefined) continue;
			const peer = routers[node.index + 1];
			if (!peer) continue;
			ipn(node.ns, ['link', 'add', 'sync0', 'type', 'veth', 'peer', 'name', 'sync0', 'netns', peer.ns]);
			for (const n of [node, peer]) {
				ipn(n.ns, ['addr', 'add', `${n.syncAddr}/30`, 'dev', 'sync0']);
				ipn(n.ns, ['link', 'set', 'sync0', 'up']);
			}
		}

		for (let j = 0; j < nClients; j++) {
			const c: ClientNode = { name: `c${j}`, ns: `${prefix}c${j}`, addr: `192.168.1.${100 + j}` };
			addNs(c.ns);
			clients.push(c);
			ipn(c.ns, ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', c.name, 'netns', ns.lan]);
			ipn(ns.lan, ['link', 'set', c.name, 'master', 'br0', 'up']);
			ipn(c.ns, ['addr', 'add', `${c.addr}/24`, 'dev', 'eth0']);
			ipn(c.ns, ['link', 'set', 'eth0', 'up']);
			ipn(c.ns, ['route', 'add', 'default', 'via', VIP]);
		}

		// The ISP's DHCP server: one lease per MAC, so both routers' shared-MAC macvlan get the same address.
		mkdirSync(path.join(tmp, 'isp'), { recursive: true });
		nsRun(ns.isp, 'dnsmasq', ispDhcpArgs(tmp));
	} catch (e) {
		await destroy();
		throw e;
	}

	return {
		prefix,
		tmp,
		ns,
		routers,
		clients,
		sites,
		server: { ns: ns.srv, addr: SERVER },
		track(child) {
			children.push(child);
			return child;
		},
		defer(cleanup) {
			cleanups.push(cleanup);
		},
		destroy,
	};
}

/** The ISP's dnsmasq (DHCP only) with its files under <tmp>/isp; `extra` e.g. a --dhcp-host reservation. */
function ispDhcpArgs(tmp: string, extra: readonly string[] = []): string[] {
	const ispDir = path.join(tmp, 'isp');
	return [
		'--conf-file=/dev/null',
		'--port=0',
		'--interface=br0',
		'--bind-interfaces',
		'--dhcp-range=198.51.100.100,198.51.100.199,255.255.255.0,1h',
		`--dhcp-option=3,${ISP_GW}`,
		'--dhcp-authoritative',
		`--dhcp-leasefile=${ispDir}/leases`,
		`--pid-file=${ispDir}/dnsmasq.pid`,
		`--log-facility=${ispDir}/dnsmasq.log`,
		'--log-dhcp',
		'--user=root',
		...extra,
	];
}

/** Restarts the ISP's DHCP server (by its pid file) with extra options, e.g. `--dhcp-host=<mac>,<address>` to
 * change the reservation for the shared MAC. The lease file stays, as on a real ISP. */
export async function restartIspDhcp(bed: Testbed, extra: readonly string[]): Promise<void> {
	const pidFile = path.join(bed.tmp, 'isp/dnsmasq.pid');
	const pid = Number(readFileSync(pidFile, 'utf8').trim());
	if (Number.isInteger(pid) && pid > 1) {
		killPid(pid, 'SIGTERM');
		for (let i = 0; i < 100 && pidAlive(pid); i++) await sleep(20);
		killPid(pid, 'SIGKILL');
	}
	nsRun(bed.ns.isp, 'dnsmasq', ispDhcpArgs(bed.tmp, extra));
}

/** Writes a file, creating its directory; `mode` e.g. 0o755 for scripts. */
export function writeFile(file: string, text: string, mode?: number): void {
	mkdirSync(path.dirname(file), { recursive: true });
	writeFileSync(file, text);
	if (mode !== undefined) chmodSync(file, mode);
}

/** Pids of the processes running in a namespace, with their command names. */
export function nsProcesses(ns: string): { pid: number; comm: string }[] {
	const r = run('ip', ['netns', 'pids', ns], { check: false });
	const out: { pid: number; comm: string }[] = [];
	for (const s of r.stdout.split(/\s+/)) {
		if (!/^\d+$/.test(s)) continue;
		let comm = '';
		try {
			comm = readFileSync(`/proc/${s}/comm`, 'utf8').trim();
		} catch {
			continue; // gone meanwhile
		}
		out.push({ pid: Number(s), comm });
	}
	return out;
}

/** The IPv4 addresses on a device in a namespace ('' list if the device is missing). */
export function addrsOf(ns: string, dev: string): string[] {
	const r = ipn(ns, ['-4', '-o', 'addr', 'show', 'dev', dev], false);
	if (r.code !== 0) return [];
	return [...r.stdout.matchAll(/inet (\S+)/g)].map((m) => m[1] ?? '');
}

export function hasVip(node: RouterNode): boolean {
	return addrsOf(node.ns, node.ports.lan).includes(VIP_CIDR);
}

/** The WAN address (the lease on the shared-MAC macvlan), or undefined. */
export function wanAddr(node: RouterNode): string | undefined {
	return addrsOf(node.ns, WAN_DEV)[0];
}

export function existingNamespaces(prefix: string): string[] {
	return listNetns().filter((n) => n.startsWith(prefix));
}

