// The LuCI app on a live pair (linux platform, real keepalived/conntrackd in namespaces): each
// router gets a LuCI host stand-in (test/luci/endpoint.ts) whose ubus calls run the real rpcd
// plugin and CLI inside that router's namespace. Headless Chromium shows both overviews, saves and
// applies a change (procd's reload trigger: the real `ha-router apply`), switches over from the
// page and restores the priority. Screenshots of MASTER and BACKUP go into docs/.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, describe, expect, it } from 'vitest';
import { pathsFor } from '../../src/model/paths.ts';
import { CHROMIUM, launch, login, open, text } from '../luci/browser.ts';
import { type Endpoint, startEndpoint } from '../luci/endpoint.ts';
import { haRouter, haRouterStack, haRouterUnavailable } from './lib/ha-router-node.ts';
import { waitFor } from './lib/exec.ts';
import { bootPair } from './lib/scenarios.ts';
import { createTestbed, hasVip, type RouterNode, type Testbed } from './lib/testbed.ts';
import { defaultRole } from './lib/uci-files.ts';

const skip = process.getuid?.() !== 0 || haRouterUnavailable() !== undefined || !CHROMIUM;
const DOCS = path.resolve(import.meta.dirname, '../../docs');
const USERS = { root: { password: 'admin-pw', read: ['*'], write: ['*'] } };

let bed: Testbed | undefined;
let browser: Browser | undefined;
const endpoints: Endpoint[] = [];
afterAll(async () => {
	await browser?.close();
	for (const e of endpoints) await e.close();
	await bed?.destroy();
});

/** The node's LuCI: the plugin runs in its namespace with the wrapper the testbed installed (bundle on tjs under its root). */
async function luciFor(node: RouterNode, applied: number[]): Promise<Endpoint> {
	const p = pathsFor(node.root);
	const ep = await startEndpoint({
		configDir: p.configDir,
		cli: path.join(node.root, 'usr/libexec/ha-router/ha-router'),
		wrap: ['ip', 'netns', 'exec', node.ns],
		users: USERS,
		rollbackS: 20,
		// /etc/init.d/ha-router reload_service: `ha-router apply`.
		onCommit: async () => void applied.push((await haRouter(node, ['apply', '--root', node.root, '--config', p.configDir])).code ?? -1),
	});
	endpoints.push(ep);
	return ep;
}

async function role(page: Page, node: 'this' | 'peer'): Promise<string | null> {
	return page.$eval(`[data-row="role"] [data-node="${node}"] [data-role]`, (e) => e.getAttribute('data-role')).catch(() => null);
}

describe.skipIf(skip)('LuCI app on a live pair', () => {
	it('shows MASTER and BACKUP side by side, applies a change, switches over from the page and back', async () => {
		// Each router with an uplink of its own, so the drain can be turned on from the page.
		bed = await createTestbed({ uplinks: true });
		for (const r of bed.routers) await haRouterStack.configure(bed, r, defaultRole(r));
		const master = await bootPair(haRouterStack, bed, () => {});
		const [r0, r1] = bed.routers as [RouterNode, RouterNode];
		expect(master).toBe(r0);
		const applied: number[] = [];
		const [ep0, ep1] = [await luciFor(r0, applied), await luciFor(r1, [])];
		browser = await launch();
		const render: Record<string, number> = {};

		const p0 = await login(browser, ep0.url, 'root', 'admin-pw');
		render['overview MASTER'] = await open(p0, ep0.url, 'admin/status/ha-router');
		await waitFor('the peer in the overview', async () => ((await role(p0, 'peer')) === 'BACKUP' ? true : undefined), 15_000, 500);
		expect(await role(p0, 'this')).toBe('MASTER');
		expect(await text(p0, '#ha-nodes')).toMatch(/Peer: r1/);
		expect(await text(p0, '[data-row="wan"] [data-node="this"]')).toMatch(/up, 198\.51\.100\.\d+\/24 via 198\.51\.100\.1\n198\.51\.100\.\d+\/24, lease ends in/);
		expect(await text(p0, '[data-row="sync"] [data-node="this"]')).toMatch(/internal cache \d+/);
		expect(await text(p0, '#ha-transition')).toMatch(/MASTER at .* ms/);
		expect(await p0.$eval('#ha-switchover', (b) => (b as HTMLButtonElement).disabled)).toBe(false);
		await p0.screenshot({ path: path.join(DOCS, 'luci-master.png'), type: 'png' });

		const p1 = await login(browser, ep1.url, 'root', 'admin-pw');
		render['overview BACKUP'] = await open(p1, ep1.url, 'admin/status/ha-router');
		expect(await role(p1, 'this')).toBe('BACKUP');
		expect(await text(p1, '#ha-blocked')).toMatch(/Only the MASTER can hand its role over; this router is BACKUP/);
		await p1.screenshot({ path: path.join(DOCS, 'luci-backup.png'), type: 'png' });
		await p1.browserContext().close();

		// Save & Apply on the live node: the reload trigger runs the real apply (exit 0).
		render['configuration'] = await open(p0, ep0.url, 'admin/network/ha-router');
		await p0.$eval('[data-name="split_brain_damping"] input', (i) => ((i as HTMLInputElement).value = '40'));
		await p0.click('#btn-save-apply');
		await p0.waitForSelector('#applyreboot-status.applied', { timeout: 30_000 });
		await ep0.settled();
		expect(applied).toEqual([0]);

		// Switch over from the page: the confirmation says what happens, then r1 holds the role.
		await open(p0, ep0.url, 'admin/status/ha-router');
		await waitFor('the peer in the overview', async () => ((await role(p0, 'peer')) === 'BACKUP' ? true : undefined), 15_000, 500);
		await p0.click('#ha-switchover');
		expect(await text(p0, '#modal')).toMatch(/r1 takes over the LAN addresses \(192\.168\.1\.1\/24\), the WAN address and every connection/);
		await p0.click('#ha-confirm');
		await p0.waitForSelector('.notification .ha-reply', { timeout: 30_000 });
		await waitFor('r1 MASTER in r0\'s overview', async () => ((await role(p0, 'this')) === 'BACKUP' && (await role(p0, 'peer')) === 'MASTER' ? true : undefined), 20_000, 500);
		expect(hasVip(r1) && !hasVip(r0)).toBe(true);
		expect(await text(p0, '[data-row="priority"] [data-node="this"]')).toMatch(/200 \(now 1\) demoted: switchover/);
		expect(await text(p0, '#ha-timeline')).toMatch(/r1 became MASTER/);
		// This node's own changes come from its state file (status roleChanges): MASTER at boot, then BACKUP.
		expect(await text(p0, '#ha-timeline')).toMatch(/r0 became BACKUP[\s\S]*r0 became MASTER/);

		// Restore the priority: with preempt r0 takes the role back.
		await p0.click('#ha-restore');
		await p0.click('#ha-confirm');
		await waitFor('r0 MASTER again', async () => ((await role(p0, 'this')) === 'MASTER' ? true : undefined), 20_000, 500);
		expect(hasVip(r0)).toBe(true);

		// Drain from the page: the confirmation says what happens; the overview shows it, and ends it.
		await waitFor('the peer BACKUP again', async () => ((await role(p0, 'peer')) === 'BACKUP' ? true : undefined), 15_000, 500);
		await p0.click('#ha-drain');
		expect(await text(p0, '#modal')).toMatch(/New connections from the LAN go to r1, which serves them through its own uplink/);
		await p0.click('#ha-confirm');
		await p0.waitForSelector('#ha-drain-off', { timeout: 30_000 });
		expect(existsSync(path.join(r0.root, 'var/run/ha-router/drain.json'))).toBe(true);
		expect(await text(p0, '#ha-router-status')).toMatch(/draining since .*: new connections from the LAN go to r1/);
		await p0.click('#ha-drain-off');
		await p0.click('#ha-confirm');
		await p0.waitForSelector('#ha-drain', { timeout: 30_000 });
		expect(existsSync(path.join(r0.root, 'var/run/ha-router/drain.json'))).toBe(false);
		process.stderr.write(`first render on the pair (ms): ${JSON.stringify(render)}\n`);
		for (const ms of Object.values(render)) expect(ms).toBeLessThan(5_000);
	}, 180_000);
});
