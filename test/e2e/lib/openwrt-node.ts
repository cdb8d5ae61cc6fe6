// The `openwrt` stack: every router of the testbed is a stock OpenWrt node, the mini OpenWrt of test/openwrt
// (ubusd + procd + rpcd rc + netifd stand-ins, stock init scripts, fw4 stand-in) on the node's root, its processes
// inside the node's namespace. ha-router picks its openwrt platform there (<root>/etc/openwrt_release) and drives
// the node through the root's ubus socket, init scripts and hotplug-call.
//   configure  = the firmware image: the stock rootfs with every stock service enabled at boot (as the image
//                builder leaves them), the .ipk installed by the opkg driver while nothing runs (its postinst
//                enables /etc/init.d/ha-router; the start that follows finds no ubus: the "ubus: connect ENOENT"
//                line in the test output), the package's init script staged into the root (opkg.ts
//                stageInitScripts), then /etc/config/network and /etc/config/ha-router written as the linux stack
//                writes them (uci-files.ts), with the role services DHCP (dnsmasq) and RA (odhcpd).
//   boot       = power on: tmpfs (tmp, var/run, var/lock) empty, the mini OpenWrt started, then procd's boot
//                sequence: /etc/rc.d/S* `boot` in order (firewall 19, network 20, conntrackd and ha-router 21
//                (`apply --boot`), odhcpd 35, keepalived 70, ...).
//   powerOff   = after a crash killed the node's processes, the stand-in's own parts (which live in this process)
//                stop too: a dead router's procd respawns nothing.
// keepalived's notify line names HA_ROUTER_SELF, as on the linux stack: here `tjs run <root>/usr/bin/ha-router`
// (the installed bundle), exported by the root's lib/mini-openwrt.sh to every init script, hotplug and CLI run.
import { appendFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { bootRcd, type BootStep } from '../../openwrt/lib/boot.ts';
import { startMiniOpenwrt, writeRootfs, type MiniOpenwrt } from '../../openwrt/lib/mini-openwrt.ts';
import { opkgInstall, stageInitScripts } from '../../openwrt/lib/opkg.ts';
import type { InstanceStart } from '../../openwrt/lib/procd.ts';
import { runIn } from '../../openwrt/lib/spawn-in.ts';
import { buildIpk } from '../../package/support.ts';
import { TJS } from '../../support/tjs.ts';
import { nsRunAsync, type RunResult } from './exec.ts';
import { haRouterUnavailable, snatHoldsWan } from './ha-router-node.ts';
import type { Stack } from './stack.ts';
import type { RouterNode, Testbed } from './testbed.ts';
import { writeUciFiles, type NodeRole } from './uci-files.ts';

/** The role services of an OpenWrt node: LAN DHCP/DNS and RA/DHCPv6 (a stock image has no miniupnpd). */
export const ROLE_SERVICES = ['dnsmasq', 'odhcpd'];

/** What runs of each booted node: its mini OpenWrt and its last boot sequence, by namespace. */
const running = new Map<string, { mini: MiniOpenwrt; boot: BootStep[] }>();

let ipk: string | undefined;
let why: string | undefined | null = null;

/** Why the openwrt column can't run here, or undefined. */
export function openwrtUnavailable(): string | undefined {
	if (why !== null) return why;
	const base = haRouterUnavailable();
	if (base) return (why = base);
	if (spawnSync('busybox', ['sh', '-c', 'true']).status !== 0) return (why = 'busybox missing (the stand-in runs OpenWrt scripts with busybox sh)');
	return (why = undefined);
}

/** Runs the installed ha-router inside the node, as its init script, hotplug and the admin do (HA_ROUTER). */
export function openwrtHaRouter(node: RouterNode, args: readonly string[], timeoutMs = 60_000): Promise<RunResult> {
	return nsRunAsync(node.ns, 'busybox', ['sh', '-c', '. "$0/lib/mini-openwrt.sh" && exec "$HA_ROUTER" "$@"', node.root, ...args], { timeoutMs });
}

/** procd's instance starts on a node since its last boot (every start, respawns included). */
export function procdStarts(node: RouterNode): InstanceStart[] {
	return [...(running.get(node.ns)?.mini.procd.starts ?? [])];
}

/** The node's last boot sequence: rc.d link, exit code, duration. */
export function bootSteps(node: RouterNode): BootStep[] {
	return [...(running.get(node.ns)?.boot ?? [])];
}

async function powerOff(node: RouterNode): Promise<void> {
	const r = running.get(node.ns);
	running.delete(node.ns);
	await r?.mini.stop();
}

export const openwrtStack: Stack = {
	name: 'openwrt',
	advertIntS: 0.1,
	unavailable: openwrtUnavailable,
	async configure(_bed: Testbed, node: RouterNode, role: NodeRole) {
		// The testbed wrote the linux stand-ins into etc/init.d: a stock image has OpenWrt's own.
		rmSync(path.join(node.root, 'etc/init.d'), { recursive: true, force: true });
		await writeRootfs(node.root, node.ns);
		const rc = path.join(node.root, 'etc/rc.common');
		for (const name of readdirSync(path.join(node.root, 'etc/init.d'))) {
			const code = await runIn(node.ns, ['busybox', 'sh', rc, path.join(node.root, 'etc/init.d', name), 'enable'], { timeoutMs: 10_000 });
			if (code !== 0) throw new Error(`${node.name}: /etc/init.d/${name} enable exited ${code}`);
		}
		ipk ??= buildIpk();
		const pkg = await opkgInstall(node.root, node.ns, ipk);
		stageInitScripts(node.root, pkg);
		appendFileSync(path.join(node.root, 'lib/mini-openwrt.sh'), `HA_ROUTER_SELF='${TJS} run ${node.root}/usr/bin/ha-router'\nexport HA_ROUTER_SELF\n`);
		writeUciFiles(node, { ...role, services: ROLE_SERVICES });
	},
	async boot(bed: Testbed, node: RouterNode) {
		if (running.has(node.ns)) throw new Error(`${node.name} is already running: power it off first`);
		for (const d of ['tmp', 'var/run', 'var/lock']) {
			rmSync(path.join(node.root, d), { recursive: true, force: true });
			mkdirSync(path.join(node.root, d), { recursive: true });
		}
		mkdirSync(path.join(node.root, 'var/run/ubus'), { recursive: true });
		const mini = await startMiniOpenwrt({ root: node.root, ns: node.ns, prepared: true, deferNetwork: true });
		const entry = { mini, boot: [] as BootStep[] };
		running.set(node.ns, entry);
		bed.defer(() => powerOff(node));
		entry.boot = await bootRcd(mini, 60_000, path.join(node.root, 'var/log/rcS.log'));
		const bad = entry.boot.filter((s) => s.code !== 0);
		if (bad.length) throw new Error(`${node.name}: boot: ${bad.map((s) => `${s.link} exited ${s.code}`).join(', ')} (log: ${node.root}/var/log/rcS.log)`);
		if (!existsSync(path.join(node.root, 'etc/ha-router/keepalived.conf'))) throw new Error(`${node.name}: boot: S21ha-router rendered no keepalived.conf (log: ${node.root}/var/log/rcS.log)`);
	},
	ready: snatHoldsWan,
	async powerOff(_bed: Testbed, node: RouterNode) {
		await powerOff(node);
	},
	async switchAway(_bed: Testbed, node: RouterNode) {
		const r = await openwrtHaRouter(node, ['switchover']);
		if (r.code !== 0) throw new Error(`${node.name}: ha-router switchover exited ${r.code}: ${r.stderr.trim()}`);
	},
};
