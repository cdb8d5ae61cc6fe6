// Installing the .ipk into a staging root as an image build would (IPKG_INSTROOT set), and the
// boot guard's effect on init scripts in such a root.
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ASH, bundle, buildIpk, FILES, member, openIpk, run, tempDir, treeFiles } from './support.ts';

/** path -> "mode size mtime [link]" for everything under root, to prove a script changed nothing. */
function snapshot(root: string, rel = ''): Record<string, string> {
	const out: Record<string, string> = {};
	for (const name of readdirSync(path.join(root, rel)).sort()) {
		const r = `${rel}/${name}`;
		const st = lstatSync(path.join(root, r));
		out[r] = `${st.mode.toString(8)} ${st.size} ${st.mtimeMs}${st.isSymbolicLink() ? ` -> ${readlinkSync(path.join(root, r))}` : ''}`;
		if (st.isDirectory()) Object.assign(out, snapshot(root, r));
	}
	return out;
}

/** Unpacks the ipk with tar into a fresh dir and returns { root (data), control } dirs. */
function unpack(ipk: string) {
	const dir = tempDir('unpack');
	const root = path.join(dir, 'root');
	const control = path.join(dir, 'control');
	mkdirSync(root);
	mkdirSync(control);
	expect(run(['tar', '-xzf', ipk, '-C', dir]).code).toBe(0);
	expect(run(['tar', '-xzf', path.join(dir, 'data.tar.gz'), '-C', root]).code).toBe(0);
	expect(run(['tar', '-xzf', path.join(dir, 'control.tar.gz'), '-C', control]).code).toBe(0);
	return { root, control };
}

let ipk: string;
beforeAll(() => {
	ipk = buildIpk();
});

describe('staging root install', () => {
	it('puts every file where files/ says, byte for byte, plus the bundle at /usr/bin/ha-router', () => {
		const { root } = unpack(ipk);
		expect(treeFiles(root)).toEqual([...treeFiles(FILES), '/usr/bin/ha-router'].sort());
		for (const f of treeFiles(FILES)) {
			expect({ f, same: readFileSync(path.join(root, f)).equals(readFileSync(path.join(FILES, f))) }).toEqual({ f, same: true });
		}
		expect(readFileSync(path.join(root, 'usr/bin/ha-router')).equals(readFileSync(bundle()))).toBe(true);
		expect(statSync(path.join(root, 'usr/bin/ha-router')).mode & 0o777).toBe(0o755);
	});

	it('postinst exits 0 and changes nothing in a root without /lib/functions.sh', () => {
		const { root, control } = unpack(ipk);
		const before = snapshot(root);
		const r = run([...ASH, path.join(control, 'postinst')], { env: { PATH: process.env.PATH, IPKG_INSTROOT: root } });
		expect(r).toMatchObject({ code: 0, stderr: '' });
		expect(snapshot(root)).toEqual(before);
	});

	it("postinst and prerm hand over to the root's default_postinst/default_prerm with their own path", () => {
		const { root, control } = unpack(ipk);
		mkdirSync(path.join(root, 'lib'));
		writeFileSync(
			path.join(root, 'lib/functions.sh'),
			'default_postinst() { echo "postinst $*" >> "$IPKG_INSTROOT/calls"; }\ndefault_prerm() { echo "prerm $*" >> "$IPKG_INSTROOT/calls"; }\n',
		);
		const env = { PATH: process.env.PATH, IPKG_INSTROOT: root };
		expect(run([...ASH, path.join(control, 'postinst'), 'configure'], { env }).code).toBe(0);
		expect(run([...ASH, path.join(control, 'prerm'), 'remove'], { env }).code).toBe(0);
		expect(readFileSync(path.join(root, 'calls'), 'utf8')).toBe(
			`postinst ${path.join(control, 'postinst')} configure\nprerm ${path.join(control, 'prerm')} remove\n`,
		);
		// IPKG_NO_SCRIPT=1 skips the postinst entirely, as on OpenWrt.
		writeFileSync(path.join(root, 'calls'), '');
		expect(run([...ASH, path.join(control, 'postinst')], { env: { ...env, IPKG_NO_SCRIPT: '1' } }).code).toBe(0);
		expect(readFileSync(path.join(root, 'calls'), 'utf8')).toBe('');
	});

	it('postinst-pkg and prerm-pkg do nothing in an offline root (image build)', () => {
		const { root, control } = unpack(ipk);
		const before = snapshot(root);
		// A PATH where every tool the scripts could run on a live system fails loudly.
		const trap = tempDir('trap');
		for (const tool of ['uci', 'nft', 'logger']) {
			writeFileSync(path.join(trap, tool), `#!/bin/sh\necho "${tool} called" >&2\nexit 99\n`);
			chmodSync(path.join(trap, tool), 0o755);
		}
		for (const s of ['postinst-pkg', 'prerm-pkg']) {
			// default_postinst/default_prerm source these in a subshell.
			const r = run([...ASH, '-c', '( . "$1" )', 'sh', path.join(control, s)], {
				env: { PATH: `${trap}:${process.env.PATH}`, IPKG_INSTROOT: root },
			});
			expect({ s, code: r.code, stderr: r.stderr }).toEqual({ s, code: 0, stderr: '' });
		}
		expect(snapshot(root)).toEqual(before);
	});

	it('ships maintainer scripts that parse under busybox ash and dash', () => {
		const { control } = unpack(ipk);
		for (const s of ['postinst', 'postinst-pkg', 'prerm', 'prerm-pkg']) {
			for (const sh of [ASH, ['sh']]) expect({ s, code: run([...sh, '-n', path.join(control, s)]).code }).toEqual({ s, code: 0 });
		}
	});

	it('ships the maintainer script bodies from the feed Makefile', () => {
		const pkg = openIpk(ipk);
		expect(member(pkg.control, './postinst-pkg').data.toString()).toMatch(/rpcd reload/);
		expect(member(pkg.control, './prerm-pkg').data.toString()).toMatch(/boot-guard disable/);
	});
});

// A fake offline root: rc.common with OpenWrt's enable/disable/enabled semantics (rc.d links
// S<START><name>/K<STOP><name>), and init scripts for the role services.
function fakeRoot(services: Record<string, { start: number; enabled: boolean }>): string {
	const root = tempDir('guard');
	mkdirSync(path.join(root, 'etc/init.d'), { recursive: true });
	mkdirSync(path.join(root, 'etc/rc.d'));
	writeFileSync(
		path.join(root, 'etc/rc.common'),
		[
			'initscript="$1"; action="$2"; name="${initscript##*/}"',
			'. "$initscript"',
			'case "$action" in',
			'enable) rm -f "$IPKG_INSTROOT"/etc/rc.d/S??"$name"; ln -s "../init.d/$name" "$IPKG_INSTROOT/etc/rc.d/S$START$name" ;;',
			'disable) rm -f "$IPKG_INSTROOT"/etc/rc.d/S??"$name" ;;',
			'enabled) [ -x "$IPKG_INSTROOT/etc/rc.d/S$START$name" ] ;;',
			'stop) echo "$name" >>"$IPKG_INSTROOT/stopped" ;;',
			'*) echo "rc.common: $action not allowed offline" >&2; exit 9 ;;',
			'esac',
			'',
		].join('\n'),
	);
	for (const [name, s] of Object.entries(services)) {
		writeFileSync(path.join(root, 'etc/init.d', name), `#!/bin/sh /etc/rc.common\nSTART=${s.start}\nUSE_PROCD=1\n`);
		chmodSync(path.join(root, 'etc/init.d', name), 0o755);
		if (s.enabled) run(['ln', '-s', `../init.d/${name}`, path.join(root, `etc/rc.d/S${s.start}${name}`)]);
	}
	return root;
}

function links(root: string): string[] {
	return readdirSync(path.join(root, 'etc/rc.d')).sort();
}

/** A fake `uci -q -c <dir> get <key>` answering from <dir>/uci.db lines `key=value`. */
function fakeUci(root: string, db: Record<string, string>): string {
	const bin = path.join(root, 'fakebin');
	mkdirSync(bin, { recursive: true });
	writeFileSync(
		path.join(bin, 'uci'),
		'#!/bin/sh\n[ "$1 $2" = "-q -c" ] && [ "$4" = get ] || { echo "fake uci: unexpected $*" >&2; exit 9; }\n' +
			'v="$(grep -F -- "$5=" "$3/uci.db" | head -n 1)" || exit 1\n[ -n "$v" ] || exit 1\nprintf "%s\\n" "${v#*=}"\n',
	);
	chmodSync(path.join(bin, 'uci'), 0o755);
	mkdirSync(path.join(root, 'etc/config'), { recursive: true });
	writeFileSync(path.join(root, 'etc/config/uci.db'), Object.entries(db).map(([k, v]) => `${k}=${v}\n`).join(''));
	return bin;
}

function guard(root: string, ...args: string[]) {
	return run([...ASH, path.join(FILES, 'usr/libexec/ha-router/boot-guard'), ...args], {
		env: { PATH: `${path.join(root, 'fakebin')}:${process.env.PATH}`, IPKG_INSTROOT: root },
	});
}

/** The guard as `ha-router apply --root` runs it: the root is a running node. */
function liveGuard(root: string, ...args: string[]) {
	return run([...ASH, path.join(FILES, 'usr/libexec/ha-router/boot-guard'), ...args], {
		env: { PATH: `${path.join(root, 'fakebin')}:${process.env.PATH}`, IPKG_INSTROOT: root, HA_ROUTER_LIVE_ROOT: '1' },
	});
}

function record(root: string): string | null {
	const f = path.join(root, 'etc/ha-router/boot-guard');
	return existsSync(f) ? readFileSync(f, 'utf8') : null;
}

describe('boot guard', () => {
	const services = { dnsmasq: { start: 19, enabled: true }, odhcpd: { start: 35, enabled: true }, miniupnpd: { start: 94, enabled: false } };

	it('disables the enabled role services and records only those', () => {
		const root = fakeRoot(services);
		expect(guard(root, 'enable')).toMatchObject({ code: 0, stderr: '' });
		expect(links(root)).toEqual([]);
		expect(record(root)).toBe('dnsmasq\nodhcpd\n');
	});

	it('is idempotent: a second enable keeps the record', () => {
		const root = fakeRoot(services);
		guard(root, 'enable');
		expect(guard(root, 'enable').code).toBe(0);
		expect(record(root)).toBe('dnsmasq\nodhcpd\n');
		expect(guard(root, 'status').stdout).toBe('dnsmasq\nodhcpd\n');
	});

	it('disable re-enables exactly what it disabled, never what the admin had disabled', () => {
		const root = fakeRoot(services);
		guard(root, 'enable');
		expect(guard(root, 'disable')).toMatchObject({ code: 0, stderr: '' });
		expect(links(root)).toEqual(['S19dnsmasq', 'S35odhcpd']);
		expect(record(root)).toBeNull();
		expect(guard(root, 'disable').code).toBe(0);
	});

	it('guards exactly the listed services: one dropped from the list gets its boot start back', () => {
		const root = fakeRoot(services);
		guard(root, 'enable', 'dnsmasq', 'odhcpd');
		expect(guard(root, 'enable', 'dnsmasq').code).toBe(0);
		expect(links(root)).toEqual(['S35odhcpd']);
		expect(record(root)).toBe('dnsmasq\n');
	});

	it('guards again a recorded service that was re-enabled behind its back (e.g. by a reinstall)', () => {
		const root = fakeRoot(services);
		guard(root, 'enable');
		run(['ln', '-s', '../init.d/dnsmasq', path.join(root, 'etc/rc.d/S19dnsmasq')]);
		guard(root, 'enable');
		expect(links(root)).toEqual([]);
		expect(record(root)).toBe('dnsmasq\nodhcpd\n');
	});

	it('skips services that are not installed and never stops anything offline', () => {
		const root = fakeRoot(services);
		expect(guard(root, 'enable', '--stop', 'dnsmasq', 'unbound')).toMatchObject({ code: 0, stderr: '' });
		expect(links(root)).toEqual(['S35odhcpd']);
		expect(record(root)).toBe('dnsmasq\n');
		expect(existsSync(path.join(root, 'stopped'))).toBe(false);
	});

	it('stops the listed services through the root when it is a running node (apply --boot --root)', () => {
		const root = fakeRoot(services);
		expect(liveGuard(root, 'enable', '--stop', 'dnsmasq', 'odhcpd')).toMatchObject({ code: 0, stderr: '' });
		expect(readFileSync(path.join(root, 'stopped'), 'utf8')).toBe('dnsmasq\nodhcpd\n');
		expect(links(root)).toEqual([]);
	});

	it('sync guards the services of an enabled node section', () => {
		const root = fakeRoot(services);
		fakeUci(root, { 'ha-router.@node[0]': 'node', 'ha-router.@node[0].enabled': '1', 'ha-router.@node[0].service': 'odhcpd miniupnpd' });
		expect(guard(root, 'sync')).toMatchObject({ code: 0, stderr: '' });
		expect(links(root)).toEqual(['S19dnsmasq']);
		expect(record(root)).toBe('odhcpd\n');
	});

	it('sync uses the default services when the node lists none, and releases them when disabled', () => {
		const root = fakeRoot(services);
		fakeUci(root, { 'ha-router.@node[0]': 'node' });
		expect(guard(root, 'sync', '--stop')).toMatchObject({ code: 0, stderr: '' });
		expect(links(root)).toEqual([]);
		expect(record(root)).toBe('dnsmasq\nodhcpd\n');
		fakeUci(root, { 'ha-router.@node[0]': 'node', 'ha-router.@node[0].enabled': 'off' });
		expect(guard(root, 'sync')).toMatchObject({ code: 0, stderr: '' });
		expect(links(root)).toEqual(['S19dnsmasq', 'S35odhcpd']);
		expect(record(root)).toBeNull();
	});

	it('sync releases the guard when there is no node section at all', () => {
		const root = fakeRoot(services);
		guard(root, 'enable');
		fakeUci(root, {});
		expect(guard(root, 'sync').code).toBe(0);
		expect(links(root)).toEqual(['S19dnsmasq', 'S35odhcpd']);
	});

	it('rejects bad service names and unknown commands with exit 2, changing nothing', () => {
		const root = fakeRoot(services);
		expect(guard(root, 'enable', '../../bin/sh').code).toBe(2);
		expect(guard(root, 'frobnicate').code).toBe(2);
		expect(guard(root, 'sync', 'dnsmasq').code).toBe(2);
		expect(links(root)).toEqual(['S19dnsmasq', 'S35odhcpd']);
		expect(record(root)).toBeNull();
	});
});

// Hostile service names, from UCI, the command line and an edited record. The guard runs in the
// init.d directory (as `boot-guard sync` run from /etc/init.d would), where a glob would match.
describe('boot guard with hostile names', () => {
	const all = {
		dnsmasq: { start: 19, enabled: true },
		odhcpd: { start: 35, enabled: true },
		dropbear: { start: 50, enabled: true },
		firewall: { start: 19, enabled: true },
		network: { start: 20, enabled: true },
	};
	const enabledLinks = ['S19dnsmasq', 'S19firewall', 'S20network', 'S35odhcpd', 'S50dropbear'];

	/** A fake `uci -q -c <dir> get <key>` printing what the real uci prints for a list: items
	 *  separated by blanks, an item holding whitespace single-quoted; a fake logger to a file. */
	function uciList(root: string, services: readonly string[] | null): void {
		const bin = path.join(root, 'fakebin');
		const db = path.join(root, 'etc/config/uci.get');
		mkdirSync(bin, { recursive: true });
		mkdirSync(db, { recursive: true });
		writeFileSync(path.join(bin, 'uci'), '#!/bin/sh\n[ "$1 $2 $4" = "-q -c get" ] || exit 9\n[ -f "$3/uci.get/$5" ] || exit 1\ncat "$3/uci.get/$5"\n');
		writeFileSync(path.join(bin, 'logger'), '#!/bin/sh\nprintf "%s\\n" "$*" >> "$LOGFILE"\n');
		for (const f of ['uci', 'logger']) chmodSync(path.join(bin, f), 0o755);
		writeFileSync(path.join(db, 'ha-router.@node[0]'), 'node\n');
		const shown = (v: string) => (/[ \t\r\n]/.test(v) ? `'${v.replace(/'/g, "'\\''")}'` : v);
		if (services) writeFileSync(path.join(db, 'ha-router.@node[0].service'), `${services.map(shown).join(' ')}\n`);
	}

	function hostileGuard(root: string, ...args: string[]) {
		const r = run([...ASH, path.join(FILES, 'usr/libexec/ha-router/boot-guard'), ...args], {
			cwd: path.join(root, 'etc/init.d'),
			env: { PATH: `${path.join(root, 'fakebin')}:${process.env.PATH}`, IPKG_INSTROOT: root, LOGFILE: path.join(root, 'syslog') },
		});
		const log = existsSync(path.join(root, 'syslog')) ? readFileSync(path.join(root, 'syslog'), 'utf8') : '';
		return { ...r, log };
	}

	const pwned = (root: string) => path.join(root, 'pwned');
	const hostile = (root: string) => ['*', '.', '..', '../init.d/network', 'a b', `$(touch ${pwned(root)})`, `\`touch ${pwned(root)}\``, 'odhcpd\nfirewall', 'dropbear\n', '-f', '.hidden', 'x'.repeat(65), 'd*'];

	it("sync with `list service '*'` guards nothing and warns (it used to disable every enabled service)", () => {
		const root = fakeRoot(all);
		uciList(root, ['*']);
		const r = hostileGuard(root, 'sync');
		expect(r.code).toBe(0);
		expect(links(root)).toEqual(enabledLinks);
		expect(record(root)).toBeNull();
		expect(r.log).toBe("-t ha-router boot-guard: skipped an invalid service name in ha-router.@node[0].service: '?'\n");
	});

	it('sync guards only the valid names of a list full of hostile ones, and runs nothing', () => {
		const root = fakeRoot(all);
		uciList(root, [...hostile(root), 'dnsmasq']);
		const r = hostileGuard(root, 'sync');
		expect(r.code).toBe(0);
		expect(links(root)).toEqual(enabledLinks.filter((l) => l !== 'S19dnsmasq'));
		expect(record(root)).toBe('dnsmasq\n');
		expect(existsSync(pwned(root))).toBe(false);
		// One warning line per skipped word, each a single line with the odd characters masked.
		for (const line of r.log.trimEnd().split('\n')) expect(line).toMatch(/^-t ha-router boot-guard: skipped an invalid service name in ha-router\.@node\[0\]\.service: '[A-Za-z0-9_.+?-]*'$/);
		expect(r.log).not.toContain('dnsmasq');
	});

	it.each([['*'], ['..'], ['.'], ['a b'], ['odhcpd\nfirewall'], ['-f'], ['../init.d/network'], [`$(touch /nonexistent/x)`]])('enable %j exits 2 and changes nothing', (name) => {
		const root = fakeRoot(all);
		uciList(root, null);
		const r = hostileGuard(root, 'enable', 'dnsmasq', name);
		expect(r.code).toBe(2);
		expect(r.stderr).toMatch(/^boot-guard: invalid service name '[A-Za-z0-9_.+?-]*'\n$/);
		expect(links(root)).toEqual(enabledLinks);
		expect(record(root)).toBeNull();
	});

	it('treats an edited record as data: restores the valid names in it and drops the other lines', () => {
		const root = fakeRoot({ ...all, network: { start: 20, enabled: false }, dropbear: { start: 50, enabled: false } });
		uciList(root, null);
		mkdirSync(path.join(root, 'etc/ha-router'));
		writeFileSync(path.join(root, 'etc/ha-router/boot-guard'), `*\n..\na b\n$(touch ${pwned(root)})\nnetwork\n-f\n`);
		const r = hostileGuard(root, 'disable');
		expect(r.code).toBe(0);
		expect(links(root)).toEqual(['S19dnsmasq', 'S19firewall', 'S20network', 'S35odhcpd']);
		expect(record(root)).toBeNull();
		expect(existsSync(pwned(root))).toBe(false);
		expect(r.log.trimEnd().split('\n')).toHaveLength(5);
	});

	it('enable drops hostile record lines too, and keeps guarding what is listed', () => {
		const root = fakeRoot(all);
		uciList(root, null);
		expect(hostileGuard(root, 'enable', 'dnsmasq').code).toBe(0);
		writeFileSync(path.join(root, 'etc/ha-router/boot-guard'), 'dnsmasq\n*\n../x\n', { flag: 'w' });
		const r = hostileGuard(root, 'enable', 'dnsmasq');
		expect(r.code).toBe(0);
		expect(record(root)).toBe('dnsmasq\n');
		expect(links(root)).toEqual(enabledLinks.filter((l) => l !== 'S19dnsmasq'));
	});
});
