// Static checks of openwrt/luci-app-ha-router: its Makefile, menu, view and the ubus methods and
// ACL group it relies on (shipped by the ha-router package).
import { readFileSync } from 'node:fs';
import { transformSync } from 'esbuild';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ASH, FILES, makeVar, ROOT, run, treeFiles, VERSION } from './support.ts';

const APP = path.join(ROOT, 'openwrt/luci-app-ha-router');
const mk = readFileSync(path.join(APP, 'Makefile'), 'utf8');
const menu = JSON.parse(readFileSync(path.join(APP, 'root/usr/share/luci/menu.d/luci-app-ha-router.json'), 'utf8'));
const acl = JSON.parse(readFileSync(path.join(ROOT, 'openwrt/luci-app-ha-router/root/usr/share/rpcd/acl.d/luci-app-ha-router.json'), 'utf8'));
const views = treeFiles(path.join(APP, 'htdocs/luci-static/resources/view'));

describe('luci-app-ha-router', () => {
	it('is a luci.mk package, architecture independent, on top of ha-router and luci-base', () => {
		expect(makeVar(mk, 'PKG_VERSION')).toBe(VERSION);
		expect(makeVar(mk, 'LUCI_PKGARCH')).toBe('all');
		expect((makeVar(mk, 'LUCI_DEPENDS') ?? '').split(/\s+/).sort()).toEqual(['+ha-router', '+luci-base']);
		expect(mk).toMatch(/^include \$\(TOPDIR\)\/feeds\/luci\/luci\.mk$/m);
	});

	it('menu entries point at views that exist and need the ACL group ha-router ships', () => {
		for (const [node, entry] of Object.entries<{ action: { type: string; path: string }; depends?: { acl?: string[] } }>(menu)) {
			expect(node).toMatch(/^admin\//);
			if (entry.action.type === 'view') expect(views).toContain(`/${entry.action.path}.js`);
			for (const group of entry.depends?.acl ?? []) expect(Object.keys(acl)).toContain(group);
		}
	});

	it.each(views)('view %s parses and calls only ha-router methods the plugin lists and the ACL grants', (view) => {
		const src = readFileSync(path.join(APP, 'htdocs/luci-static/resources/view', view), 'utf8');
		expect(src.startsWith("'use strict';\n")).toBe(true);
		expect(() => new Function(src)).not.toThrow();
		const listed = Object.keys(JSON.parse(run([...ASH, path.join(FILES, 'usr/libexec/rpcd/ha-router'), 'list']).stdout));
		const granted = [...acl['luci-app-ha-router'].read.ubus['ha-router'], ...acl['luci-app-ha-router'].write.ubus['ha-router']];
		const calls = [...src.matchAll(/rpc\.declare\(\{\s*object:\s*'([^']+)',\s*method:\s*'([^']+)'/g)].map((m) => [m[1], m[2]]);
		expect(calls.length).toBeGreaterThan(0);
		for (const [object, method] of calls) {
			expect(object).toBe('ha-router');
			expect(listed).toContain(method);
			expect(granted).toContain(method);
		}
	});

	it('the views stay within 30 KB minified (what they add to the router)', () => {
		const sizes = views.map((v) => transformSync(readFileSync(path.join(APP, 'htdocs/luci-static/resources/view', v), 'utf8'), { minify: true }).code.length);
		expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(30 * 1024);
	});

	it('the translation template holds every _() string of the views (node scripts/luci-pot.mjs)', () => {
		expect(run(['node', path.join(ROOT, 'scripts/luci-pot.mjs'), '--check']).code).toBe(0);
	});

	it('ships no file that the ha-router package also ships (opkg would refuse the clash)', () => {
		const own = new Set(treeFiles(FILES));
		for (const f of treeFiles(path.join(APP, 'root'))) expect(own.has(f)).toBe(false);
	});
});
