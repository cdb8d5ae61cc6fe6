// `ha-router apply` on one stock OpenWrt node (the mini OpenWrt, the .ipk installed the way opkg
// does, the real bundle on tjs): what issue 10 found missing on real routers. keepalived must
// run under procd after apply, our nft table must survive the firewall's restart and stop/start,
// and status must report keepalived.
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nsRun, nsRunAsync } from '../e2e/lib/exec.ts';
import { createNode, installHaRouter, lanAtNodeAddress, type TestNode } from './lib/node-fixture.ts';
import { opkgRemove } from './lib/opkg.ts';

const HA_ROUTER_UCI = `config node 'node'
	option enabled '1'
	option name 'r0'
	option priority '200'
	option state 'master'
	list service 'dnsmasq'
	list service 'miniupnpd'

config vrrp 'lan'
	option interface 'lan'
	option vrid '51'
	option version '3'
	option advert_int '0.1'
	list vip '192.168.1.1/24'

config wan 'wan'
	option interface 'wan'
	option parent 'wan0'
	option device 'hawan'
	option macaddr '02:00:5e:00:01:01'
	option proto 'dhcp'
`;

let node: TestNode;
/** The other packages' config as the stock node had it before ha-router was installed. */
const STOCK = ['network', 'keepalived', 'firewall', 'dhcp'] as const;
let stock: Record<string, string>;

/** The installed ha-router in the node, as the hotplug and fw4 scripts run it (HA_ROUTER). */
const haRouter = (args: string[]) => nsRunAsync(node.ns, 'busybox', ['sh', '-c', '. "$0/lib/mini-openwrt.sh" && exec "$HA_ROUTER" "$@"', node.root, ...args], { timeoutMs: 60_000 });
const hasOurTable = () => nsRun(node.ns, 'nft', ['list', 'table', 'inet', 'ha_router'], { check: false }).code === 0;

beforeAll(async () => {
	node = await createNode();
	// A stock router runs its firewall; the LAN keeps the stock address .1 moved to the node's own.
	lanAtNodeAddress(node.root);
	expect(await node.mini.initd('firewall', 'start')).toBe(0);
	// The keepalived package installs its config with INSTALL_CONF (0600).
	chmodSync(`${node.root}/etc/config/keepalived`, 0o600);
	stock = Object.fromEntries(STOCK.map((p) => [p, readFileSync(`${node.root}/etc/config/${p}`, 'utf8')]));
	await installHaRouter(node, HA_ROUTER_UCI);
}, 120_000);
afterAll(async () => {
	await node?.destroy();
}, 60_000);

describe('opkg install on a stock node', () => {
	it('lands the files and enables the service (default_postinst)', () => {
		expect(existsSync(`${node.root}/usr/bin/ha-router`)).toBe(true);
		expect(existsSync(`${node.root}/etc/rc.d/S21ha-router`)).toBe(true);
	});
});

describe('ha-router apply on the openwrt platform', () => {
	let applied: { code: number | null; stdout: string; stderr: string };
	beforeAll(async () => {
		applied = await haRouter(['apply']);
	}, 90_000);

	it('exits 0', () => {
		expect(applied.stderr + applied.stdout).not.toMatch(/^$/u); // says what it did
		expect(applied.code, applied.stderr || applied.stdout).toBe(0);
	});

	it('leaves keepalived running under procd (stock globals enabled 0 notwithstanding)', async () => {
		const list = await node.call('service', 'list', { name: 'keepalived' });
		const instances = (list.keepalived as { instances?: Record<string, { running: boolean }> } | undefined)?.instances ?? {};
		expect(Object.values(instances).some((i) => i.running), JSON.stringify(list)).toBe(true);
	});

	it('keeps table inet ha_router through /etc/init.d/firewall restart, and stop + start', async () => {
		expect(hasOurTable()).toBe(true);
		expect(await node.mini.initd('firewall', 'restart', 60_000)).toBe(0);
		expect(hasOurTable()).toBe(true);
		expect(await node.mini.initd('firewall', 'stop', 60_000)).toBe(0);
		const t0 = Date.now();
		expect(await node.mini.initd('firewall', 'start', 60_000)).toBe(0);
		expect(Date.now() - t0, 'the fw4 include must not hang until its 30 s timeout').toBeLessThan(10_000);
		expect(hasOurTable(), `no table inet ha_router after firewall stop + start (table.nft: ${existsSync(`${node.root}/var/run/ha-router/table.nft`) ? readFileSync(`${node.root}/var/run/ha-router/table.nft`, "utf8").slice(0, 300) : "missing"}); /etc/config/firewall:\n${readFileSync(`${node.root}/etc/config/firewall`, 'utf8')}`).toBe(true);
	}, 150_000);

	it("changed the other packages' config: keepalived enabled, the WAN on the macvlan, fw4 includes, dhcp force", () => {
		const conf = (p: string) => readFileSync(`${node.root}/etc/config/${p}`, 'utf8');
		expect(conf('keepalived')).toMatch(/option enabled '1'/);
		expect(conf('network')).toMatch(/option device 'hawan'/);
		expect(conf('firewall')).toMatch(/config include 'ha_router'/);
		expect(conf('dhcp')).toMatch(/option force '1'/);
		for (const p of STOCK) expect(conf(p), p).not.toBe(stock[p]);
		// An edit keeps the file's mode, as uci commit does.
		expect(statSync(`${node.root}/etc/config/keepalived`).mode & 0o777).toBe(0o600);
	});

	it('warns, and does not fail, about a role service the image lacks (a stock image has no miniupnpd)', () => {
		expect(applied.stderr).toContain('warning: role service miniupnpd is not installed: transitions skip it');
	});

	it("status reports keepalived as procd sees it, and the missing role service", async () => {
		const r = await haRouter(['status', '--json']);
		expect(r.code, r.stderr).toBe(0);
		const st = JSON.parse(r.stdout) as { daemons: Record<string, { running: boolean; pid: number | null }>; warnings: string[] };
		expect(st.daemons.keepalived).toMatchObject({ running: true, pid: expect.any(Number) });
		expect(st.warnings).toContain('role service miniupnpd is not installed: transitions skip it');
	});
});

describe('opkg remove', () => {
	it('runs prerm (teardown) and keeps the changed /etc/config/ha-router', async () => {
		await opkgRemove(node.root, node.ns, 'ha-router');
		expect(existsSync(`${node.root}/usr/bin/ha-router`)).toBe(false);
		expect(readFileSync(`${node.root}/etc/config/ha-router`, 'utf8')).toBe(HA_ROUTER_UCI);
		expect(hasOurTable()).toBe(false);
	}, 120_000);

	it('leaves network, keepalived, firewall and dhcp as the stock node had them (the WAN on its own port again)', () => {
		// A section apply added and teardown deleted may leave its separating blank line behind.
		const tidy = (t: string) => t.replace(/\n+$/, '\n');
		for (const p of STOCK) expect(tidy(readFileSync(`${node.root}/etc/config/${p}`, 'utf8')), p).toBe(stock[p]);
		expect(existsSync(`${node.root}/etc/ha-router/originals.json`)).toBe(false);
	});
});
