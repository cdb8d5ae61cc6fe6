// One OpenWrt node for a test: a network namespace with a LAN port (lan0, 192.168.1.2/24, a veth
// whose peer stays in the node), a WAN port (wan0) whose peer sits in an "ISP" namespace with a DHCP server, a temp
// root, and the mini OpenWrt on it. destroy() stops it, kills every process left in the two
// namespaces (by pid), deletes them and the root; safe to call twice.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { nodeRuntime } from '../../support/node-runtime.ts';
import { openUbusSocket } from '../../../src/system/ubus/socket-client.ts';
import type { BlobTable } from '../../../src/system/ubus/blob.ts';
import { ipn, nsRun, run } from '../../e2e/lib/exec.ts';
import { killNamespace, newPrefix, reapStale } from '../../e2e/lib/testbed.ts';
import { buildIpk } from '../../package/support.ts';
import { startMiniOpenwrt, writeRootfs, type MiniOpenwrt, type MiniOpenwrtOptions } from './mini-openwrt.ts';
import { opkgInstall } from './opkg.ts';

export const ISP_GW = '198.51.100.1';

export interface TestNode {
	ns: string;
	isp: string;
	root: string;
	mini: MiniOpenwrt;
	/** One ubus call over the node's socket with the project's client; throws UbusError on a status. */
	call(path: string, method: string, args?: BlobTable): Promise<BlobTable>;
	destroy(): Promise<void>;
}

export async function createNode(opts: Omit<MiniOpenwrtOptions, 'root' | 'ns'> & { beforeStart?: (root: string) => void } = {}): Promise<TestNode> {
	const prefix = newPrefix();
	const ns = `${prefix}owrt`;
	const isp = `${prefix}isp`;
	const root = mkdtempSync(path.join(tmpdir(), prefix));
	const made: string[] = [];
	let mini: MiniOpenwrt | undefined;
	let destroyed = false;
	const destroy = async () => {
		if (destroyed) return;
		destroyed = true;
		await mini?.stop().catch(() => {});
		for (const n of made) await killNamespace(n);
		for (const n of made) run('ip', ['netns', 'del', n], { check: false });
		rmSync(root, { recursive: true, force: true });
	};
	try {
		await reapStale();
		for (const n of [ns, isp]) {
			run('ip', ['netns', 'add', n]);
			made.push(n);
			ipn(n, ['link', 'set', 'lo', 'up']);
		}
		ipn(ns, ['link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lanpeer']);
		ipn(ns, ['link', 'set', 'lanpeer', 'up']);
		ipn(ns, ['addr', 'add', '192.168.1.2/24', 'dev', 'lan0']);
		ipn(ns, ['link', 'set', 'lan0', 'up']);
		ipn(ns, ['link', 'add', 'wan0', 'type', 'veth', 'peer', 'name', 'isp0', 'netns', isp]);
		ipn(ns, ['link', 'set', 'wan0', 'up']);
		ipn(isp, ['addr', 'add', `${ISP_GW}/24`, 'dev', 'isp0']);
		ipn(isp, ['link', 'set', 'isp0', 'up']);
		nsRun(isp, 'ethtool', ['-K', 'isp0', 'tx', 'off'], { check: false }); // TESTBED.md: checksum offload trap
		nsRun(isp, 'dnsmasq', ['--conf-file=/dev/null', '--port=0', '--interface=isp0', '--bind-interfaces', '--dhcp-range=198.51.100.100,198.51.100.199,255.255.255.0,1h', `--dhcp-option=3,${ISP_GW}`, '--dhcp-authoritative', `--dhcp-leasefile=${root}/isp.leases`, `--pid-file=${root}/isp.pid`, '--user=root']);
		await writeRootfs(root, ns, opts.omit);
		opts.beforeStart?.(root);
		mini = await startMiniOpenwrt({ root, ns, omit: opts.omit, prepared: true });
	} catch (e) {
		await destroy();
		throw e;
	}
	const m = mini;
	return {
		ns,
		isp,
		root,
		mini: m,
		async call(p, method, args = {}) {
			const ubus = await openUbusSocket(nodeRuntime(), m.socket, { timeoutMs: 60_000 });
			try {
				return await ubus.call(p, method, args);
			} finally {
				ubus.close();
			}
		},
		destroy,
	};
}

/** The stock LAN address .1 moved to the node's own .2, so the pair's VIP can be .1. */
export function lanAtNodeAddress(root: string): void {
	const file = path.join(root, 'etc/config/network');
	writeFileSync(file, readFileSync(file, 'utf8').replace("option ipaddr '192.168.1.1'", "option ipaddr '192.168.1.2'"));
}

/** The package installed the way opkg does, then /etc/config/ha-router written. */
export async function installHaRouter(node: TestNode, haRouterUci: string): Promise<void> {
	await opkgInstall(node.root, node.ns, buildIpk());
	writeFileSync(path.join(node.root, 'etc/config/ha-router'), haRouterUci);
}
