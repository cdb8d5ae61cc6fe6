// The .ipk built by scripts/build-ipk.sh, checked member by member against what OpenWrt's
// scripts/ipkg-build produces and opkg accepts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildIpk, EPOCH, FILES, isExecutable, member, openIpk, ROOT, run, treeFiles, VERSION } from './support.ts';

let ipk: string;
let pkg: ReturnType<typeof openIpk>;

beforeAll(() => {
	ipk = buildIpk();
	pkg = openIpk(ipk);
});

describe('outer container', () => {
	it('is named <Package>_<Version>_<Architecture>.ipk', () => {
		expect(path.basename(ipk)).toBe(`ha-router_${VERSION}_all.ipk`);
	});
	it("is a gzip'd tar, not an ar archive", () => {
		const head = readFileSync(ipk).subarray(0, 8);
		expect([head[0], head[1]]).toEqual([0x1f, 0x8b]);
		expect(head.toString('latin1')).not.toBe('!<arch>\n');
		expect(gunzipSync(readFileSync(ipk)).subarray(257, 263).toString('latin1')).toBe('ustar ');
	});
	it('holds exactly ./debian-binary, ./data.tar.gz, ./control.tar.gz in that order (as ipkg-build)', () => {
		expect(pkg.outer.map((e) => e.name)).toEqual(['./debian-binary', './data.tar.gz', './control.tar.gz']);
		const listed = run(['tar', '-tzf', ipk]);
		expect(listed.code).toBe(0);
		expect(listed.stdout).toBe('./debian-binary\n./data.tar.gz\n./control.tar.gz\n');
	});
	it('says 2.0 in debian-binary', () => {
		expect(member(pkg.outer, './debian-binary').data.toString()).toBe('2.0\n');
	});
	it('has owner 0:0, no user names and the fixed mtime on every entry of all three archives', () => {
		for (const e of [...pkg.outer, ...pkg.data, ...pkg.control]) {
			expect({ name: e.name, uid: e.uid, gid: e.gid, mtime: e.mtime }).toEqual({ name: e.name, uid: 0, gid: 0, mtime: EPOCH });
			expect([e.uname, e.gname]).toEqual(['', '']);
		}
	});
});

describe('data.tar.gz', () => {
	it('is sorted by name and starts at ./', () => {
		const names = pkg.data.map((e) => e.name);
		expect(names[0]).toBe('./');
		expect(names).toEqual([...names].sort());
	});
	it('holds files/ plus the bundle as /usr/bin/ha-router, and nothing else', () => {
		const shipped = pkg.data.filter((e) => e.type === '0').map((e) => e.name.slice(1));
		expect(shipped).toEqual([...treeFiles(FILES), '/usr/bin/ha-router'].sort());
		expect(pkg.data.every((e) => e.type === '0' || e.type === '5')).toBe(true);
	});
	it('installs the bundle executable, with the tjs shebang', () => {
		const bin = member(pkg.data, './usr/bin/ha-router');
		expect(bin.mode).toBe(0o755);
		expect(bin.data.toString('utf8').split('\n', 1)[0]).toBe('#!/usr/bin/tjs run');
	});
	it('gives the init script, rpcd plugin and helpers 0755', () => {
		for (const f of ['./etc/init.d/ha-router', './usr/libexec/rpcd/ha-router', './usr/libexec/ha-router/boot-guard']) {
			expect({ f, mode: member(pkg.data, f).mode }).toEqual({ f, mode: 0o755 });
		}
	});
	it('ships /etc/config/ha-router as INSTALL_CONF does (0600)', () => {
		expect(member(pkg.data, './etc/config/ha-router').mode).toBe(0o600);
	});
	it('gives every other file the mode its files/ executable bit implies, and directories 0755', () => {
		for (const e of pkg.data) {
			if (e.type === '5') expect({ n: e.name, mode: e.mode }).toEqual({ n: e.name, mode: 0o755 });
			const rel = e.name.slice(1);
			if (e.type !== '0' || rel === '/usr/bin/ha-router' || rel.startsWith('/etc/config/')) continue;
			const want = isExecutable(path.join(FILES, rel)) ? 0o755 : 0o644;
			expect({ n: e.name, mode: e.mode }).toEqual({ n: e.name, mode: want });
		}
	});
});

describe('control.tar.gz', () => {
	it('holds control, conffiles and the maintainer scripts with their modes', () => {
		const modes = Object.fromEntries(pkg.control.map((e) => [e.name, e.mode]));
		expect(modes).toEqual({
			'./': 0o755,
			'./conffiles': 0o644,
			'./control': 0o644,
			'./postinst': 0o755,
			'./postinst-pkg': 0o755,
			'./prerm': 0o755,
			'./prerm-pkg': 0o755,
		});
	});
	it('has the control fields package-ipkg.mk emits, in its order', () => {
		expect([...pkg.fields.keys()]).toEqual([
			'Package', 'Version', 'Depends', 'Source', 'SourceName', 'License', 'Section', 'SourceDateEpoch', 'URL',
			'Maintainer', 'Architecture', 'Installed-Size', 'Description',
		]);
		expect(pkg.fields.get('Package')).toBe('ha-router');
		expect(pkg.fields.get('Version')).toBe(VERSION);
		expect(pkg.fields.get('Architecture')).toBe('all');
		expect(pkg.fields.get('License')).toBe(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).license);
		expect(pkg.fields.get('Section')).toBe('net');
		expect(pkg.fields.get('SourceName')).toBe('ha-router');
		expect(pkg.fields.get('SourceDateEpoch')).toBe(String(EPOCH));
		expect(pkg.fields.get('Maintainer')).toMatch(/^.+ <[^<>@\s]+@[^<>\s]+>$/);
		expect(pkg.controlText.endsWith('\n')).toBe(true);
	});
	it('depends on libc, the runtime and the daemons and tools it drives', () => {
		const deps = pkg.fields.get('Depends')!.split(', ');
		expect(deps[0]).toBe('libc');
		for (const d of ['txikijs', 'keepalived', 'conntrackd', 'conntrack', 'kmod-macvlan', 'kmod-nft-dup-inet', 'ip-full', 'nftables']) expect(deps).toContain(d);
		for (const d of deps) expect(d).toMatch(/^[a-z0-9][a-z0-9_.+-]*$/);
	});
	it('computes Installed-Size as ipkg-build does: the size of the uncompressed data tar', () => {
		const dataTar = gunzipSync(member(pkg.outer, './data.tar.gz').data);
		expect(pkg.fields.get('Installed-Size')).toBe(String(dataTar.length));
	});
	it('indents every Description line with one space, first line after "Description: "', () => {
		const lines = pkg.controlText.slice(pkg.controlText.indexOf('Description:')).replace(/\n$/, '').split('\n');
		expect(lines[0]).toMatch(/^Description:  \S/);
		expect(lines.length).toBeGreaterThan(1);
		for (const l of lines.slice(1)) expect(l).toMatch(/^ \S/);
	});
	it('lists /etc/config/ha-router in conffiles', () => {
		expect(member(pkg.control, './conffiles').data.toString()).toBe('/etc/config/ha-router\n');
	});
	it('uses the postinst and prerm wrappers OpenWrt generates', () => {
		expect(member(pkg.control, './postinst').data.toString()).toBe(
			'#!/bin/sh\n[ "${IPKG_NO_SCRIPT}" = "1" ] && exit 0\n[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0\n' +
				'. ${IPKG_INSTROOT}/lib/functions.sh\ndefault_postinst $0 $@\n',
		);
		expect(member(pkg.control, './prerm').data.toString()).toBe(
			'#!/bin/sh\n[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0\n. ${IPKG_INSTROOT}/lib/functions.sh\ndefault_prerm $0 $@\n',
		);
	});
});

describe('reproducible build', () => {
	it('gives identical bytes for two builds of the same inputs (ipk and release tarball)', () => {
		const again = buildIpk();
		expect(readFileSync(again).equals(readFileSync(ipk))).toBe(true);
		const tarball = (p: string) => readFileSync(path.join(path.dirname(p), `ha-router-${VERSION}.tar.gz`));
		expect(tarball(again).equals(tarball(ipk))).toBe(true);
	});
	it('takes every timestamp from SOURCE_DATE_EPOCH', () => {
		const other = openIpk(buildIpk({ epoch: EPOCH + 86_400 }));
		for (const e of [...other.outer, ...other.data, ...other.control]) expect(e.mtime).toBe(EPOCH + 86_400);
		expect(other.fields.get('SourceDateEpoch')).toBe(String(EPOCH + 86_400));
	});
	it('refuses a version the feed Makefile does not declare', () => {
		expect(() => buildIpk({ version: '9.9.9' })).toThrow(/PKG_VERSION '.*' but the version asked for is '9.9.9'/);
	});
});
