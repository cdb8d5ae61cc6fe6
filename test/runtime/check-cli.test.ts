// `ha-router check` in the built bundle on real tjs: exit codes, --json, --config, and that it
// writes nothing.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBundle } from '../support/tjs.ts';
import { BASE, NETWORK } from '../unit/config/fixtures.ts';

function configDir(files: Record<string, string>): string {
	const dir = mkdtempSync(path.join(os.tmpdir(), 'ha-router-check-'));
	for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
	return dir;
}

const snapshot = (dir: string) => Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));

describe('ha-router check on tjs', () => {
	it('exits 0 on a valid configuration and prints warnings', () => {
		const dir = configDir({ 'ha-router': BASE.replace('02:68:61:00:00:01', '00:11:22:33:44:55'), network: NETWORK });
		const r = runBundle(['check', '--config', dir]);
		expect(r.code).toBe(0);
		expect(r.stdout).toBe(
			`${dir}/ha-router:13: wan 'wan' option 'macaddr': warning: '00:11:22:33:44:55' is a globally administered MAC address and may clash with a real device; valid: a locally administered MAC (second-lowest bit of the first byte set), e.g. 02:... [MAC_NOT_LOCAL]\n` +
				'ha-router check: configuration is valid (1 warning)\n',
		);
		expect(r.stderr).toBe('');
	});

	it('exits 1 with one line per error and writes nothing', () => {
		const ha = BASE.replace("option vrid '51'", "option vrid '300'").replace("option priority '100'", "option prioirty '100'").replace("option peer '192.168.1.3'", "option peer '192.168.1.2'");
		const dir = configDir({ 'ha-router': ha, network: NETWORK });
		const before = snapshot(dir);
		const r = runBundle(['check', '--config', dir]);
		expect(r.code).toBe(1);
		expect(r.stdout.split('\n').filter(Boolean)).toEqual([
			`${dir}/ha-router:3: node 'node' option 'prioirty': unknown option; did you mean 'priority'? [UNKNOWN_OPTION]`,
			`${dir}/ha-router:7: vrrp 'lan' option 'vrid': '300' is out of range; valid: 1..255 [VRID_RANGE]`,
			`${dir}/ha-router:17: sync 'sync' option 'peer': '192.168.1.2' is one of this node's own addresses; valid: the other node's address [SYNC_PEER_IS_SELF]`,
		]);
		expect(r.stderr).toBe('ha-router check: configuration is invalid: 3 errors, 0 warnings\n');
		expect(snapshot(dir)).toEqual(before);
	});

	it('prints the stable JSON object with --json', () => {
		const dir = configDir({ 'ha-router': BASE.replace("option vrid '51'", "option vrid 'x'") });
		const r = runBundle(['check', '--json', '--config', dir]);
		expect(r.code).toBe(1);
		expect(JSON.parse(r.stdout)).toEqual({
			valid: false,
			errors: [
				{ code: 'NOT_A_NUMBER', file: `${dir}/ha-router`, line: 7, section: 'lan', type: 'vrrp', option: 'vrid', value: 'x', message: "'x' is not a whole number; valid: 1..255" },
				{ code: 'FILE_MISSING', file: `${dir}/network`, line: 0, section: '', message: 'file does not exist' },
			],
			warnings: [],
		});
		const ok = runBundle(['check', '--json', '--config', configDir({ 'ha-router': BASE, network: NETWORK })]);
		expect(ok.code).toBe(0);
		expect(JSON.parse(ok.stdout)).toEqual({ valid: true, errors: [], warnings: [] });
	});

	it('reads the default /etc/config under --root', () => {
		const root = mkdtempSync(path.join(os.tmpdir(), 'ha-router-root-'));
		const r = runBundle(['check', '--root', root]);
		expect(r.code).toBe(1);
		expect(r.stdout).toBe(`${root}/etc/config/ha-router: file does not exist [FILE_MISSING]\n${root}/etc/config/network: file does not exist [FILE_MISSING]\n`);
	});

	it('exits 2 on usage errors', () => {
		expect(runBundle(['check', '--bogus'])).toMatchObject({ code: 2, stdout: '', stderr: 'check: unknown option --bogus\n' });
		expect(runBundle(['check', 'extra'])).toMatchObject({ code: 2, stderr: "check: unexpected argument 'extra'\n" });
		expect(runBundle(['check', '--config'])).toMatchObject({ code: 2, stderr: 'check: --config needs a value\n' });
	});

	it('is listed in --help', () => {
		expect(runBundle(['--help']).stdout).toMatch(/^ {2}check +validate the configuration and print every problem$/m);
	});

	describe('on an OpenWrt root (etc/openwrt_release)', () => {
		function openwrtRoot(keepalived: string): string {
			const root = mkdtempSync(path.join(os.tmpdir(), 'ha-router-owrt-'));
			mkdirSync(path.join(root, 'etc/config'), { recursive: true });
			mkdirSync(path.join(root, 'etc/init.d'), { recursive: true });
			writeFileSync(path.join(root, 'etc/openwrt_release'), "DISTRIB_ID='OpenWrt'\n");
			for (const s of ['dnsmasq', 'odhcpd']) writeFileSync(path.join(root, 'etc/init.d', s), '#!/bin/sh /etc/rc.common\n');
			writeFileSync(path.join(root, 'etc/config/ha-router'), BASE.replace("option priority '100'", "option priority '100'\n\tlist service 'dnsmasq'\n\tlist service 'miniupnpd'"));
			writeFileSync(path.join(root, 'etc/config/network'), NETWORK);
			writeFileSync(path.join(root, 'etc/config/keepalived'), keepalived);
			return root;
		}

		it('warns about a role service without an init script, at its list line', () => {
			const root = openwrtRoot("config globals 'globals'\n\toption enabled '0'\n");
			const r = runBundle(['check', '--root', root]);
			expect(r.code).toBe(0);
			expect(r.stdout).toBe(
				`${root}/etc/config/ha-router:5: node 'node' option 'service': warning: 'miniupnpd' has no init script (${root}/etc/init.d/miniupnpd): transitions skip it; install it or remove it from the list [SERVICE_NOT_INSTALLED]\n` +
					'ha-router check: configuration is valid (1 warning)\n',
			);
		});

		it('refuses what apply could not edit in /etc/config/keepalived, with the file', () => {
			const root = openwrtRoot("config global_defs 'globals'\n\toption router_id 'x'\n");
			const r = runBundle(['check', '--json', '--root', root]);
			expect(r.code).toBe(1);
			expect(JSON.parse(r.stdout).errors).toEqual([expect.objectContaining({ code: 'UCI_EDIT_REFUSED', file: `${root}/etc/config/keepalived`, message: expect.stringContaining("section 'globals'") })]);
		});
	});
});
