// The hook on one real node, driven by hand the way keepalived drives it: MASTER, BACKUP, MASTER
// against real conntrackd, nft, udhcpc (dnsmasq as the ISP) and iproute2, with the built bundle
// on tjs and the linux platform. After each transition the node must be exactly in that role:
// addresses, routes, our nft table, services.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ipn, nsRun, waitFor } from './lib/exec.ts';
import { haRouter, haRouterStack, haRouterUnavailable } from './lib/ha-router-node.ts';
import { initd, initdOk } from './lib/stack.ts';
import { addrsOf, createTestbed, ISP_GW, VIP, VIP_CIDR, WAN_DEV, type RouterNode, type Testbed } from './lib/testbed.ts';
import { defaultRole } from './lib/uci-files.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const skip = process.getuid?.() !== 0 || haRouterUnavailable() !== undefined;

let bed: Testbed;
let r0: RouterNode;

async function notify(state: string): Promise<void> {
	const r = await haRouter(r0, ['--root', r0.root, 'notify', 'INSTANCE', 'lan', state, '200']);
	expect(r.code, r.stderr).toBe(0);
	const st = JSON.parse(readFileSync(path.join(r0.root, 'var/run/ha-router/state.json'), 'utf8'));
	expect(st.role).toBe(state);
	expect(st.transition.steps.filter((s: { status: string }) => s.status !== 'ok'), JSON.stringify(st.transition.steps)).toEqual([]);
}

const linkExists = (dev: string) => nsRun(r0.ns, 'ip', ['link', 'show', 'dev', dev], { check: false }).code === 0;
const defaultRoute = () => nsRun(r0.ns, 'ip', ['-4', 'route', 'show', 'default'], { check: false }).stdout.trim();
const vipLocalRoute = () => nsRun(r0.ns, 'ip', ['-4', 'route', 'show', 'table', 'local', VIP], { check: false }).stdout.trim();
const snatRule = () => /snat ip to (\S+)/.exec(nsRun(r0.ns, 'nft', ['list', 'table', 'inet', 'ha_router']).stdout)?.[1] ?? null;
const dnsmasqRunning = async () => (await initd(r0, 'dnsmasq', 'running')).code === 0;

describe.skipIf(skip)('the hook on a real node: MASTER, BACKUP, MASTER', () => {
	beforeAll(async () => {
		bed = await createTestbed();
		r0 = bed.routers[0]!;
		await haRouterStack.configure(bed, r0, defaultRole(r0));
		const cfg = path.join(r0.root, 'etc/config');
		const a = await haRouter(r0, ['apply', '--boot', '--config', cfg, '--root', r0.root]);
		expect(a.code, a.stderr).toBe(0);
		// apply started keepalived; the test plays keepalived's part itself.
		await initdOk(r0, 'keepalived', 'stop');
		await initd(r0, 'dnsmasq', 'stop');
		ipn(r0.ns, ['addr', 'del', VIP_CIDR, 'dev', r0.ports.lan], false);
	}, 60_000);
	afterAll(async () => {
		await bed?.destroy();
	});

	let lease = '';
	it('MASTER: WAN with the lease and a default route, SNAT to it, VIP route source, dnsmasq running', async () => {
		ipn(r0.ns, ['addr', 'add', VIP_CIDR, 'dev', r0.ports.lan]);
		await notify('MASTER');
		lease = await waitFor('the WAN lease', () => addrsOf(r0.ns, WAN_DEV)[0], 15_000, 20);
		expect(defaultRoute()).toBe(`default via ${ISP_GW} dev ${WAN_DEV}`);
		await waitFor('SNAT to the lease', () => snatRule() === lease.split('/')[0], 10_000, 50);
		expect(vipLocalRoute()).toMatch(new RegExp(`^local ${VIP} dev ${r0.ports.lan} proto kernel scope host src ${r0.lanAddr}$`));
		expect(await dnsmasqRunning()).toBe(true);
	}, 60_000);

	it('BACKUP: the WAN device up but silent and without an address, no default route, no local route for the VIP, dnsmasq stopped', async () => {
		// keepalived removes the VIP before it runs the notify script.
		ipn(r0.ns, ['addr', 'del', VIP_CIDR, 'dev', r0.ports.lan]);
		await notify('BACKUP');
		// Kept for keepalived, which adds the lease to it on the next MASTER (docs/decisions.md).
		expect(linkExists(WAN_DEV)).toBe(true);
		expect(addrsOf(r0.ns, WAN_DEV)).toEqual([]);
		const sysctl = (key: string) => nsRun(r0.ns, 'sysctl', ['-n', key]).stdout.trim();
		expect([sysctl(`net.ipv6.conf.${WAN_DEV}.disable_ipv6`), sysctl(`net.ipv4.conf.${WAN_DEV}.rp_filter`)]).toEqual(['1', '1']);
		expect(defaultRoute()).toBe('');
		expect(vipLocalRoute()).toBe('');
		expect(await dnsmasqRunning()).toBe(false);
		// The table stays, with the remembered address: nothing leaves through a WAN that is down.
		expect(snatRule()).toBe(lease.split('/')[0]);
	}, 60_000);

	it('MASTER again: the known lease is in place at once, before DHCP answers, and everything is back', async () => {
		ipn(r0.ns, ['addr', 'add', VIP_CIDR, 'dev', r0.ports.lan]);
		await notify('MASTER');
		// Checked right after the hook returned: no waiting for DHCP.
		expect(addrsOf(r0.ns, WAN_DEV)[0]).toBe(lease);
		expect(defaultRoute()).toBe(`default via ${ISP_GW} dev ${WAN_DEV}`);
		expect(snatRule()).toBe(lease.split('/')[0]);
		expect(vipLocalRoute()).toMatch(new RegExp(`src ${r0.lanAddr}$`));
		expect(await dnsmasqRunning()).toBe(true);
	}, 60_000);

	it("enabled '0': apply takes the node out of the pair (conntrackd and keepalived stopped, table gone)", async () => {
		const file = path.join(r0.root, 'etc/config/ha-router');
		writeFileSync(file, readFileSync(file, 'utf8').replace("option enabled '1'", "option enabled '0'"));
		expect((await initd(r0, 'conntrackd', 'running')).code).toBe(0);
		const r = await haRouter(r0, ['apply', '--config', path.join(r0.root, 'etc/config'), '--root', r0.root]);
		expect(r.code, r.stderr).toBe(0);
		expect(r.stdout).toMatch(/^ha-router is disabled on this node: stopped conntrackd; table inet ha_router removed$/m);
		expect((await initd(r0, 'conntrackd', 'running')).code).not.toBe(0);
		expect(nsRun(r0.ns, 'nft', ['list', 'table', 'inet', 'ha_router'], { check: false }).code).not.toBe(0);
	}, 60_000);
});
