// ha-router on its openwrt platform in the emulated pair (lib/openwrt-node.ts): each router is a stock OpenWrt node
// (the mini OpenWrt stand-in on its root) with the .ipk installed by the opkg driver, booted by its rc.d sequence.
// The same scenarios and assertions as ha-router.test.ts, and the boot scenario of issue 10: a rebooted node comes
// back as BACKUP without ever starting DHCP/RA on the LAN, and the pair converges.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROLE_SERVICES, bootSteps, openwrtStack, openwrtUnavailable, procdStarts } from './lib/openwrt-node.ts';
import { runReboot } from './lib/reboot.ts';
import { expectCleanStop, expectOneRoleHolder, expectTakeover } from './lib/promises.ts';
import { runScenario } from './lib/scenarios.ts';
import { summary } from './lib/traffic.ts';
import { report } from './lib/exec.ts';

const STREAMS = 50;
const skip = process.getuid?.() !== 0 || openwrtUnavailable() !== undefined;

describe.skipIf(skip)(`ha-router pair on the openwrt platform${skip ? ` (skipped: ${openwrtUnavailable() ?? 'not root'})` : ''}`, () => {
	it('keeps every TCP stream through master-crash', async () => {
		const r = await runScenario(openwrtStack, 'master-crash', { streams: STREAMS, settleMs: 3_000, log: report });
		report(JSON.stringify({ ...r, traffic: r.traffic && summary(r.traffic) }));
		expectTakeover(r, STREAMS);
	}, 180_000);

	it('hands over completely when keepalived is stopped on the master', async () => {
		const r = await runScenario(openwrtStack, 'keepalived-stop', { streams: STREAMS, settleMs: 3_000, log: report });
		report(JSON.stringify({ ...r, traffic: r.traffic && summary(r.traffic) }));
		expectCleanStop(r, STREAMS);
	}, 180_000);

	it('runs role services on exactly one node when both boot at once (first boot of a fresh image)', async () => {
		const r = await runScenario(openwrtStack, 'boot-together', { streams: 10, log: report });
		report(JSON.stringify({ ...r, traffic: r.traffic && summary(r.traffic) }));
		// dnsmasq is enabled on the image and starts at S19 (DNS only at boot); ha-router's boot apply (S21) stops it.
		expectOneRoleHolder(r);
	}, 180_000);

	for (const which of ['master', 'backup'] as const) {
		it(`brings a rebooted ${which} back as BACKUP without DHCP/RA on the LAN, and the pair converges`, async () => {
			const r = await runReboot(openwrtStack, which, {
				streams: STREAMS,
				settleMs: 3_000,
				log: report,
				probe: (node) => ({
					boot: bootSteps(node),
					starts: procdStarts(node).map((s) => s.service),
					leaseWatchers: procdStarts(node).filter((s) => s.service === 'ha-router' && s.instance === 'lease-watch').length,
					// keepalived's WAN part: emptied by the reboot (tmpfs), filled again from the master's beacon.
					wanPart: readFileSync(path.join(node.root, 'var/run/ha-router/keepalived-wan.conf'), 'utf8'),
				}),
			});
			report(JSON.stringify({ ...r, traffic: summary(r.traffic) }));
			// nopreempt for the master case: the first master is whichever node's keepalived was up first.
			const survivor = r.rebooted === 'r0' ? 'r1' : 'r0';
			expect(r.rebooted === r.masterBefore).toBe(which === 'master');
			expect(r.notes).toEqual([]);
			// The boot ran OpenWrt's sequence: ha-router applied at S21, before keepalived could start at S70.
			const links = r.probe!.boot.map((s) => s.link);
			expect(links.indexOf('S21ha-router')).toBeGreaterThan(links.indexOf('S20network'));
			expect(links.indexOf('S21ha-router')).toBeLessThan(links.indexOf('S70keepalived'));
			// BACKUP, and DHCP/RA never started on it: procd ran no instance of a role service since the boot.
			expect(r.rebootedRole).toBe('BACKUP');
			expect(r.rebootedHeldVip).toBe(false);
			expect(r.probe!.starts.filter((s) => ROLE_SERVICES.includes(s))).toEqual([]);
			expect(r.probe!.starts).toContain('keepalived');
			expect(r.rebootedRanDhcp).toBe(false);
			// procd runs the lease watcher, and through it the rebooted node's keepalived learned the master's lease:
			// it would take the WAN over at once.
			expect(r.probe!.leaseWatchers).toBe(1);
			expect(r.probe!.wanPart).toContain(`${r.wanBefore} dev hawan`);
			// The pair converged: the other node is the one master, with the WAN and the role services.
			expect(r.masterAfter).toBe(survivor);
			expect(r.wanAfter).toBe(r.wanBefore);
			expect(r.wanHolders).toEqual([survivor]);
			expect(r.roleHolders).toEqual([survivor]);
			expect(r.traffic.tcp.reset).toBe(0);
			expect(r.traffic.tcp.survived).toBe(STREAMS);
		}, 180_000);
	}
});
