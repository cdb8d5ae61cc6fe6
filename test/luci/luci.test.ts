// The LuCI app in a real browser (Debian's Chromium, headless) against a LuCI host stand-in
// (test/luci/endpoint.ts) that runs the REAL rpcd plugin script and the REAL CLI bundle on tjs, on
// one router's staging root (no daemons: the overview shows a node in trouble). The pair, with a
// switchover from the page, is test/e2e/luci.test.ts.
//
// What the client stand-in (test/luci/www/luci.js) covers of LuCI's client API, and nothing more:
//   L.bind, L.env, L.url; E(); _(); String.prototype.format; 'require' of view, form, rpc, uci, ui, poll
//   view.extend (load, render, handleSave, handleSaveApply -> ui.changes.apply(true), handleReset, null hides)
//   rpc.declare (object, method, params, expect, filter, reject)
//   uci.load/sections/get/set/unset/add/remove/save
//   form.Map (render, parse, save, lookupOption), form.TypedSection (anonymous, addremove),
//   form.Value/Flag/ListValue/DynamicList (datatype range/port/ip4addr, placeholder, password, rmempty,
//   default, depends, validate, renderWidget, getUIElement -> getValue/setValue/triggerValidation)
//   ui.showModal/hideModal/addNotification/createHandlerFn, ui.changes.apply (apply_rollback + confirm)
//   poll.add
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../package/support.ts';
import { CHROMIUM, launch, login, open, rendered, text } from './browser.ts';
import { type Endpoint, startEndpoint, UBUS } from './endpoint.ts';
import { SECRET, stagingNode } from './staging.ts';

const DOCS = path.resolve(import.meta.dirname, '../../docs');
const USERS = { root: { password: 'admin-pw', read: ['*'], write: ['*'] }, viewer: { password: 'view-pw', read: ['*'], write: [] } };

function script(dir: string, name: string, body: string): string {
	const f = path.join(dir, name);
	writeFileSync(f, `#!/bin/sh\n${body}\n`);
	chmodSync(f, 0o755);
	return f;
}

describe.skipIf(!CHROMIUM)('LuCI app in a browser, one router', () => {
	let ep: Endpoint;
	let browser: Browser;
	let node: ReturnType<typeof stagingNode>;
	let reloads = 0;
	const renderMs: Record<string, number> = {};

	beforeAll(async () => {
		node = stagingNode();
		// procd's reload trigger runs `ha-router apply`; outside a namespace it would touch the host,
		// so here the trigger is counted (test/e2e/luci.test.ts runs the real one).
		ep = await startEndpoint({ configDir: path.dirname(node.config), cli: node.cli, users: USERS, rollbackS: 4, onCommit: async () => void reloads++ });
		browser = await launch();
	}, 30_000);
	afterAll(async () => {
		await browser?.close();
		await ep?.close();
		process.stderr.write(`first render (ms): ${JSON.stringify(renderMs)}\n`);
	});

	it('a read-only login reads status and check, and cannot apply, switch over or read the config (auth_pass)', async () => {
		const viewer = (await ep.login('viewer', 'view-pw'))!;
		const root = (await ep.login('root', 'admin-pw'))!;
		expect(await ep.login('viewer', 'wrong')).toBeNull();
		expect((await ep.ubus(viewer, 'ha-router', 'status'))[0]).toBe(UBUS.OK);
		expect((await ep.ubus(viewer, 'ha-router', 'check'))[0]).toBe(UBUS.OK);
		for (const m of ['apply', 'switchover', 'drain']) expect((await ep.ubus(viewer, 'ha-router', m))[0]).toBe(UBUS.PERMISSION_DENIED);
		expect((await ep.ubus(viewer, 'uci', 'get', { config: 'ha-router' }))[0]).toBe(UBUS.PERMISSION_DENIED);
		expect((await ep.ubus(viewer, 'uci', 'set', { config: 'ha-router', section: 'node', values: { priority: '1' } }))[0]).toBe(UBUS.PERMISSION_DENIED);
		const all = JSON.stringify(await Promise.all(['status', 'check'].map((m) => ep.ubus(viewer, 'ha-router', m))));
		expect(all).not.toContain(SECRET);
		// The admin reads it (the configuration page needs it).
		const got = await ep.ubus(root, 'uci', 'get', { config: 'ha-router' });
		expect(JSON.stringify(got)).toContain(SECRET);
		// Not a method the plugin lists.
		expect((await ep.ubus(root, 'ha-router', 'notify'))[0]).toBe(UBUS.PERMISSION_DENIED);
	});

	it('faults of the plugin answer one JSON object in time: hung CLI, missing bundle, bad arguments', async () => {
		const dir = tempDir('luci-faults');
		const hang = script(dir, 'hang', 'exec sleep 60');
		const quick = await startEndpoint({ configDir: path.dirname(node.config), cli: hang, users: USERS, pluginLimitS: 1 });
		try {
			const sid = (await quick.login('root', 'admin-pw'))!;
			const t0 = Date.now();
			const [code, reply] = await quick.ubus(sid, 'ha-router', 'status');
			expect(Date.now() - t0).toBeLessThan(5_000);
			expect(code).toBe(UBUS.OK);
			expect(reply).toMatchObject({ ok: false, error: 'ha-router status did not answer within 1 s and was stopped' });
		} finally {
			await quick.close();
		}
		// Had the plugin no deadline of its own below rpcd's, rpcd would answer TIMEOUT (no JSON for LuCI).
		const slow = await startEndpoint({ configDir: path.dirname(node.config), cli: hang, users: USERS, pluginLimitS: 5, rpcdTimeoutS: 1 });
		try {
			const sid = (await slow.login('root', 'admin-pw'))!;
			expect((await slow.ubus(sid, 'ha-router', 'status'))[0]).toBe(UBUS.TIMEOUT);
		} finally {
			await slow.close();
		}
		const missing = await startEndpoint({ configDir: path.dirname(node.config), cli: path.join(dir, 'absent'), users: USERS });
		try {
			const sid = (await missing.login('root', 'admin-pw'))!;
			expect(await missing.ubus(sid, 'ha-router', 'check')).toEqual([UBUS.OK, { ok: false, error: `${path.join(dir, 'absent')} is missing or not executable (is the ha-router package installed?)` }]);
		} finally {
			await missing.close();
		}
		const root = (await ep.login('root', 'admin-pw'))!;
		const [, bad] = await ep.ubus(root, 'ha-router', 'switchover', { wait: 'soon' });
		expect(bad).toMatchObject({ ok: false, code: 2, stderr: "switchover: ubus argument 'wait' must be a number (valid: force, back, wait)" });
		// The session id uhttpd adds is no argument error; a dry run changes nothing and shows the diff.
		const [, dry] = await ep.ubus(root, 'ha-router', 'apply', { dry_run: true });
		expect(dry).toMatchObject({ ok: true, dryRun: true });
	}, 60_000);

	it('the overview of a router in trouble shows its warnings in plain words', async () => {
		const page = await login(browser, ep.url, 'root', 'admin-pw');
		renderMs['overview (fault)'] = await open(page, ep.url, 'admin/status/ha-router');
		expect(await text(page, '#ha-nodes')).toContain('This router: r0');
		expect(await text(page, '#ha-warnings')).toMatch(/does not answer: no split-brain guard, no switchover/);
		expect(await page.$eval('#ha-switchover', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
		expect(await text(page, '#ha-blocked')).toMatch(/Only the MASTER can hand its role over/);
		await page.screenshot({ path: path.join(DOCS, 'luci-fault.png'), type: 'png' });
		await page.browserContext().close();
	}, 30_000);

	it('an invalid form is not saved: the CLI\'s messages show on the fields and in a list', async () => {
		const before = readFileSync(node.config, 'utf8');
		const page = await login(browser, ep.url, 'root', 'admin-pw');
		renderMs['configuration'] = await open(page, ep.url, 'admin/network/ha-router');
		const vrid = '#cbi-ha-router-lan-vrid input';
		await page.$eval(vrid, (i) => ((i as HTMLInputElement).value = ''));
		await page.type(vrid, '300');
		await page.$eval('#cbi-ha-router-lan-vip input', (i) => ((i as HTMLInputElement).value = '10.9.9.9/24'));
		await page.click('#btn-save');
		await page.waitForSelector('#ha-issues li');
		const issues = await page.$$eval('#ha-issues li', (l) => l.map((x) => [x.getAttribute('data-code'), (x as HTMLElement).innerText]));
		// The CLI's own words for the same configuration, section and option.
		expect(issues).toEqual(expect.arrayContaining([['VRID_RANGE', "vrrp 'lan' option 'vrid': '300' is out of range; valid: 1..255 [VRID_RANGE]"]]));
		expect(issues.map((i) => i[0])).toContain('VIP_OUTSIDE_SUBNET');
		expect(await page.$eval(vrid, (i) => i.classList.contains('cbi-input-invalid'))).toBe(true);
		expect(await text(page, '#cbi-ha-router-lan-vrid .cbi-value-error')).toMatch(/out of range; valid: 1\.\.255 \[VRID_RANGE\]/);
		await page.evaluate(() => window.scrollTo(0, 0));
		await page.screenshot({ path: path.join(DOCS, 'luci-invalid-form.png'), type: 'png' });
		expect(readFileSync(node.config, 'utf8')).toBe(before);
		expect(ep.calls.filter((c) => c[0] === 'root' && c[1] === 'uci' && c[2] === 'set')).toEqual([]);
		await page.browserContext().close();
	}, 30_000);

	it('Save & Apply commits with rollback and confirms; a lost browser lets the rollback happen', async () => {
		const page = await login(browser, ep.url, 'root', 'admin-pw');
		await open(page, ep.url, 'admin/network/ha-router');
		const sel = '[data-section-id] [data-name="priority"] input';
		await page.$eval(sel, (i) => ((i as HTMLInputElement).value = '150'));
		await page.click('#btn-save-apply');
		await page.waitForSelector('#applyreboot-status.applied', { timeout: 15_000 }).catch(async (e) => {
			process.stderr.write(`PAGE: ${await text(page, '#maincontent')}\n${JSON.stringify(ep.calls)}\n`);
			throw e;
		});
		expect(readFileSync(node.config, 'utf8')).toMatch(/option priority '150'/);
		expect(reloads).toBe(1);
		// The secret went through the form untouched.
		expect(readFileSync(node.config, 'utf8')).toContain(`option auth_pass '${SECRET}'`);

		await rendered(page, Date.now() - 1);
		ep.blockConfirm = true;
		await page.$eval(sel, (i) => ((i as HTMLInputElement).value = '120'));
		await page.click('#btn-save-apply');
		await page.waitForSelector('#applyreboot-status.rolled-back', { timeout: 20_000 });
		ep.blockConfirm = false;
		await ep.settled();
		expect(readFileSync(node.config, 'utf8')).toMatch(/option priority '150'/);
		expect(reloads).toBe(3);
		await page.browserContext().close();
	}, 60_000);

	it('a read-only login sees the overview without write actions and no configuration', async () => {
		const page = await login(browser, ep.url, 'viewer', 'view-pw');
		expect(await text(page, '#ha-nodes')).toContain('This router: r0');
		expect(await text(page, '#ha-readonly')).toMatch(/Read-only access/);
		for (const button of ['#ha-switchover', '#ha-restore', '#ha-drain', '#ha-drain-off']) expect(await page.$(button)).toBeNull();
		expect(await page.$('#ha-check')).not.toBeNull();
		await open(page, ep.url, 'admin/network/ha-router');
		expect(await text(page, '#ha-no-access')).toMatch(/status only/);
		expect(await page.content()).not.toContain(SECRET);
		await page.browserContext().close();
	}, 30_000);
});
