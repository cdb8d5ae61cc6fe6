// Static checks of the feed Makefiles (no SDK here): versions, architecture, dependencies and
// the install section against files/ and the .ipk control file.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runTjs } from '../support/tjs.ts';
import { buildIpk, FILES, isExecutable, makeBlock, makeVar, openIpk, readTar, ROOT, treeFiles, VERSION } from './support.ts';

const mk = readFileSync(path.join(ROOT, 'openwrt/ha-router/Makefile'), 'utf8');
const tjsMk = readFileSync(path.join(ROOT, 'openwrt/txiki.js/Makefile'), 'utf8');

interface Install {
	macro: string;
	src: string;
	dst: string;
}

/** `$(INSTALL_X) $(PKG_BUILD_DIR)/<src> $(1)/<dst>` lines, and the `$(INSTALL_DIR) $(1)/<dir>` lines. */
function installSection(text: string, pkg: string) {
	const body = makeBlock(text, `Package/${pkg}/install`) ?? '';
	const dirs = new Set<string>();
	const files: Install[] = [];
	for (const raw of body.split('\n')) {
		const line = raw.trim();
		if (!line) continue;
		let m = /^\$\(INSTALL_DIR\)((?: \$\(1\)\/\S+)+)$/.exec(line);
		if (m) {
			for (const d of m[1].trim().split(/\s+/)) dirs.add(d.replace('$(1)', ''));
			continue;
		}
		m = /^\$\((INSTALL_BIN|INSTALL_CONF|INSTALL_DATA)\) \$\(PKG_BUILD_DIR\)\/(\S+) \$\(1\)(\/\S+)$/.exec(line);
		if (!m) throw new Error(`unexpected install line: ${line}`);
		files.push({ macro: m[1], src: m[2], dst: m[3] });
	}
	return { dirs, files };
}

describe('openwrt/ha-router/Makefile', () => {
	let control: ReturnType<typeof openIpk>;
	let tarball: string;
	beforeAll(() => {
		const ipk = buildIpk();
		control = openIpk(ipk);
		tarball = path.join(path.dirname(ipk), `ha-router-${VERSION}.tar.gz`);
	});

	it('names the package and version of package.json', () => {
		expect(makeVar(mk, 'PKG_NAME')).toBe('ha-router');
		expect(makeVar(mk, 'PKG_VERSION')).toBe(VERSION);
		expect(makeVar(mk, 'PKG_RELEASE')).toMatch(/^[1-9][0-9]*$/);
		expect(makeVar(mk, 'PKG_LICENSE')).toBe(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).license);
		expect(mk).toMatch(/^\$\(eval \$\(call BuildPackage,ha-router\)\)$/m);
	});

	it('is architecture independent and compiles nothing', () => {
		expect(makeVar(mk, 'PKGARCH')).toBe('all');
		expect(makeBlock(mk, 'Build/Compile')?.trim()).toBe('');
	});

	it('has DEPENDS equal to the control Depends (which adds libc, as package-ipkg.mk does)', () => {
		const deps = (makeVar(mk, 'DEPENDS') ?? '').split(/\s+/);
		for (const d of deps) expect(d).toMatch(/^\+[a-z0-9][a-z0-9_.+-]*$/);
		expect(['libc', ...deps.map((d) => d.slice(1))].join(', ')).toBe(control.fields.get('Depends'));
	});

	it('depends on the txiki.js package this feed defines', () => {
		expect(makeVar(mk, 'DEPENDS')).toMatch(/(^| )\+txikijs( |$)/);
		expect(makeBlock(tjsMk, 'Package/txikijs')).toBeDefined();
	});

	it('declares /etc/config/ha-router as its conffile', () => {
		expect(makeBlock(mk, 'Package/ha-router/conffiles')?.trim()).toBe('/etc/config/ha-router');
	});

	it('installs every file of files/ at the same path, and nothing that files/ lacks', () => {
		const { files } = installSection(mk, 'ha-router');
		const fromFiles = files.filter((f) => f.src.startsWith('files/'));
		for (const f of fromFiles) expect(f.src).toBe(`files${f.dst}`);
		expect(fromFiles.map((f) => f.dst).sort()).toEqual(treeFiles(FILES));
	});

	it('installs the prebuilt bundle as /usr/bin/ha-router with INSTALL_BIN', () => {
		const { files } = installSection(mk, 'ha-router');
		expect(files.filter((f) => !f.src.startsWith('files/'))).toEqual([{ macro: 'INSTALL_BIN', src: 'dist/ha-router.js', dst: '/usr/bin/ha-router' }]);
	});

	it('uses the install macro whose mode the .ipk gives each file', () => {
		const { files } = installSection(mk, 'ha-router');
		// A file missing from files/ fails the test above; here only the macros are compared.
		for (const f of files.filter((x) => x.src.startsWith('files/') && existsSync(path.join(ROOT, x.src)))) {
			const want = f.dst.startsWith('/etc/config/') ? 'INSTALL_CONF' : isExecutable(path.join(ROOT, f.src)) ? 'INSTALL_BIN' : 'INSTALL_DATA';
			expect({ dst: f.dst, macro: f.macro }).toEqual({ dst: f.dst, macro: want });
		}
	});

	it('builds from the release tarball build-ipk.sh writes, which holds every install source', () => {
		expect(makeVar(mk, 'PKG_SOURCE')).toBe('$(PKG_NAME)-$(PKG_VERSION).tar.gz');
		const entries = readTar(readFileSync(tarball));
		const top = `ha-router-${VERSION}/`;
		for (const e of entries) expect(e.name.startsWith(top)).toBe(true);
		const names = new Map(entries.map((e) => [e.name.slice(top.length), e]));
		const { files } = installSection(mk, 'ha-router');
		for (const f of files) {
			const e = names.get(f.src);
			expect({ src: f.src, inTarball: e?.type === '0' }).toEqual({ src: f.src, inTarball: true });
			if (f.src.startsWith('files/')) expect(e!.data.equals(readFileSync(path.join(ROOT, f.src)))).toBe(true);
		}
		expect(names.get('dist/ha-router.js')?.mode).toBe(0o755);
	});

	it('creates every directory before installing into it', () => {
		const { dirs, files } = installSection(mk, 'ha-router');
		for (const f of files) expect({ dst: f.dst, dir: dirs.has(path.posix.dirname(f.dst)) }).toEqual({ dst: f.dst, dir: true });
	});

	it('writes $ as $$ in its maintainer scripts', () => {
		for (const s of ['postinst', 'prerm']) {
			const body = makeBlock(mk, `Package/ha-router/${s}`) ?? '';
			expect(body.startsWith('#!/bin/sh\n')).toBe(true);
			expect(body.replace(/\$\$/g, '')).not.toMatch(/\$/);
		}
	});
});

describe('openwrt/txiki.js/Makefile', () => {
	it('builds a txiki.js commit (not a tag) with submodules, through cmake, into a tarball named after it', () => {
		expect(makeVar(tjsMk, 'PKG_NAME')).toBe('txikijs');
		expect(makeVar(tjsMk, 'PKG_VERSION')).toBe('24.12.0');
		expect(makeVar(tjsMk, 'PKG_SOURCE_PROTO')).toBe('git');
		expect(makeVar(tjsMk, 'PKG_SOURCE_URL')).toBe('https://github.com/saghul/txiki.js.git');
		expect(makeVar(tjsMk, 'PKG_SOURCE_VERSION')).toMatch(/^[0-9a-f]{8,40}$/);
		expect(makeVar(tjsMk, 'PKG_SOURCE_SUBDIR')).toBe('$(PKG_NAME)-$(PKG_VERSION)-$(PKG_SOURCE_VERSION)');
		expect(tjsMk).toMatch(/^include \$\(INCLUDE_DIR\)\/cmake\.mk$/m);
		expect(tjsMk).toMatch(/^\$\(eval \$\(call BuildPackage,txikijs\)\)$/m);
	});
	it('names the QuickJS-ng and libuv of the tjs the tests run (the bundle\'s bytecode needs that QuickJS)', () => {
		const [, quickjs, uv] = /QuickJS-ng (\d+\.\d+\.\d+) and libuv (\d+\.\d+\.\d+)/.exec(tjsMk) ?? [];
		const r = runTjs(path.join(ROOT, 'test/package/tjs-versions.js'));
		expect(r.code).toBe(0);
		expect(JSON.parse(r.stdout)).toMatchObject({ quickjs, uv, tjs: makeVar(tjsMk, 'PKG_VERSION') });
	});
	it('links the system libcurl and libffi (the bundled libffi cannot cross-compile)', () => {
		const deps = (makeVar(tjsMk, 'DEPENDS') ?? '').split(/\s+/);
		expect(deps).toEqual(expect.arrayContaining(['+libcurl', '+libffi', '+libatomic']));
		expect(tjsMk).toMatch(/-DUSE_EXTERNAL_FFI=ON/);
	});
	it('is never offered where it would crash (big-endian) or cannot compile (32-bit x86), and never builds for the build machine CPU', () => {
		expect((makeVar(tjsMk, 'DEPENDS') ?? '').split(/\s+/)).toEqual(expect.arrayContaining(['@!BIG_ENDIAN', '@!i386']));
		expect(tjsMk).toMatch(/-DBUILD_NATIVE=OFF/);
		expect(tjsMk).toMatch(/-DCMAKE_POLICY_VERSION_MINIMUM=3\.5/);
	});
	it('installs /usr/bin/tjs, the path in the bundle shebang', () => {
		const { files, dirs } = installSection(tjsMk, 'txikijs');
		expect(files.map((f) => [f.macro, f.dst])).toEqual([['INSTALL_BIN', '/usr/bin/tjs']]);
		expect(dirs.has('/usr/bin')).toBe(true);
	});
});
