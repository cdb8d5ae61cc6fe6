// `ha-router apply --boot` on a stock OpenWrt node when a MASTER event is already waiting: the boot
// guard stops the role services their own init started at S19 BEFORE the waiting transition runs,
// so the MASTER keeps the DHCP server it starts. (Found by the e2e reboot test, 2 runs in 15: the
// guard ran after apply had run the queued MASTER plan and stopped its dnsmasq and odhcpd.)
// The event is queued by hand with the newest key there can be, so the one transition that runs
// is that MASTER, run by apply itself; keepalived's own announcements arrive later and are stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nsRunAsync } from '../e2e/lib/exec.ts';
import { nsProcesses } from '../e2e/lib/testbed.ts';
import { createNode, installHaRouter, lanAtNodeAddress, type TestNode } from './lib/node-fixture.ts';

const HA_ROUTER_UCI = `config node 'node'
	option name 'r0'
	option priority '200'
	list service 'dnsmasq'

config vrrp 'lan'
	option interface 'lan'
	option vrid '51'
	option advert_int '0.1'
	list vip '192.168.1.1/24'
`;

let node: TestNode;

/** The node's dnsmasq processes: whether each serves DHCP (a boot-started one does not). */
function dnsmasqs(): boolean[] {
	return nsProcesses(node.ns)
		.filter((p) => p.comm === 'dnsmasq')
		.map((p) => {
			try {
				return readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes('--dhcp-range');
			} catch {
				return false;
			}
		});
}

beforeAll(async () => {
	node = await createNode();
	lanAtNodeAddress(node.root);
	await installHaRouter(node, HA_ROUTER_UCI);
}, 120_000);
afterAll(async () => {
	await node?.destroy();
}, 60_000);

describe('apply --boot with a MASTER event waiting', () => {
	it('stops the boot-started role services first, then runs the MASTER plan: the node ends with DHCP', async () => {
		// S19dnsmasq: the stock init at boot starts a DNS-only dnsmasq.
		expect(await node.mini.initd('dnsmasq', 'boot')).toBe(0);
		expect(dnsmasqs()).toEqual([false]);
		const run = `${node.root}/var/run/ha-router`;
		await nsRunAsync(node.ns, 'mkdir', ['-p', run]);
		const key = '9999999999999999.9999999999';
		writeFileSync(`${run}/pending.json`, JSON.stringify({ key, event: { type: 'INSTANCE', name: 'lan', state: 'MASTER', priority: 200 } }));
		writeFileSync(`${run}/latest`, key);

		const r = await nsRunAsync(node.ns, 'busybox', ['sh', '-c', '. "$0/lib/mini-openwrt.sh" && exec "$HA_ROUTER" "$@"', node.root, 'apply', '--boot'], { timeoutMs: 90_000 });
		expect(r.code, r.stderr || r.stdout).toBe(0);
		const state = JSON.parse(readFileSync(`${run}/state.json`, 'utf8')) as { role: string; transition: { steps: { kind: string; target?: string; status: string }[] } };
		expect(state.role).toBe('MASTER');
		expect(state.transition.steps).toContainEqual(expect.objectContaining({ kind: 'service-start', target: 'dnsmasq', status: 'ok' }));
		// One dnsmasq, the MASTER's, serving DHCP; the boot-started one is gone.
		expect(dnsmasqs()).toEqual([true]);
	}, 120_000);
});
