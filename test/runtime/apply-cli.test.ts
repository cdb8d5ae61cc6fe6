// `ha-router apply` in the built bundle on real tjs, where it must fail or look without touching
// anything: every failure a sentence (never "internal error"), and a dry run needs no ubus.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBundle } from '../support/tjs.ts';
import { BASE, NETWORK } from '../unit/config/fixtures.ts';

/** An OpenWrt root (etc/openwrt_release) with our config and no ubus at all. */
function openwrtRoot(): string {
	const root = mkdtempSync(path.join(os.tmpdir(), 'ha-router-apply-'));
	mkdirSync(path.join(root, 'etc/config'), { recursive: true });
	writeFileSync(path.join(root, 'etc/openwrt_release'), "DISTRIB_ID='OpenWrt'\n");
	writeFileSync(path.join(root, 'etc/config/ha-router'), BASE);
	writeFileSync(path.join(root, 'etc/config/network'), NETWORK);
	writeFileSync(path.join(root, 'etc/config/keepalived'), "config globals 'globals'\n\toption enabled '0'\n");
	return root;
}

function tree(dir: string, base = dir): Record<string, string> {
	const out: Record<string, string> = {};
	for (const e of readdirSync(dir, { withFileTypes: true })) {
		const p = path.join(dir, e.name);
		if (e.isDirectory()) Object.assign(out, tree(p, base));
		else out[path.relative(base, p)] = `${statSync(p).mode.toString(8)} ${readFileSync(p, 'utf8')}`;
	}
	return out;
}

describe('ha-router apply on tjs, when it must not change anything', () => {
	it('--dry-run on an OpenWrt root without ubus shows the OpenWrt glue and writes nothing', () => {
		const root = openwrtRoot();
		const before = tree(root);
		const r = runBundle(['apply', '--dry-run', '--root', root]);
		expect(r.stderr).not.toMatch(/internal error/);
		expect(r.code).toBe(0);
		expect(r.stdout).toContain(`+++ ${root}/etc/config/keepalived`);
		expect(r.stdout).toContain("+\toption enabled '1'");
		expect(r.stdout).toContain("+\toption position 'ruleset-post'");
		expect(tree(root)).toEqual(before);
	});

	it('a root where the run directory cannot be made: a sentence, exit 1, nothing changed', () => {
		const root = openwrtRoot();
		mkdirSync(path.join(root, 'var'));
		writeFileSync(path.join(root, 'var/run'), 'not a directory\n');
		const before = tree(root);
		const r = runBundle(['apply', '--root', root]);
		expect(r.code).toBe(1);
		expect(r.stderr).not.toMatch(/internal error|Please report/);
		expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^apply: cannot create ${root}/var/run/ha-router: .+; nothing was changed$`))]);
		expect(tree(root)).toEqual(before);
	});
});
