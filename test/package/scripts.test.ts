// The shell side that runs on the router: syntax under busybox ash, the rpcd plugin protocol,
// the ACL, and the hotplug and fw4 glue with the CLI replaced by a recorder.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ASH, FILES, ROOT, run, tempDir, treeFiles } from './support.ts';

/** Files the router runs with sh: a /bin/sh or rc.common shebang, or sourced hook directories. */
const shellScripts = treeFiles(FILES).filter((f) => {
	if (/^\/etc\/(hotplug\.d|uci-defaults)\//.test(f)) return true;
	const first = readFileSync(path.join(FILES, f), 'utf8').split('\n', 1)[0];
	return first === '#!/bin/sh' || first === '#!/bin/sh /etc/rc.common';
});

const plugin = path.join(FILES, 'usr/libexec/rpcd/ha-router');

/** A stand-in CLI that logs its argv to $LOG and prints $OUT (or nothing) with exit $CODE. */
function fakeCli(dir: string): string {
	const f = path.join(dir, 'ha-router');
	writeFileSync(f, '#!/bin/sh\necho "$*" >> "$LOG"\n[ -n "$OUT" ] && printf "%s\\n" "$OUT"\n[ -n "$ERR" ] && printf "%s\\n" "$ERR" >&2\nexit "${CODE:-0}"\n');
	chmodSync(f, 0o755);
	return f;
}

function call(method: string, env: Record<string, string>) {
	return run([...ASH, plugin, 'call', method], { input: '{}', env: { PATH: process.env.PATH, ...env } });
}

describe('shell scripts', () => {
	it('finds the scripts it must check', () => {
		expect(shellScripts).toEqual(
			expect.arrayContaining(['/etc/init.d/ha-router', '/usr/libexec/rpcd/ha-router', '/etc/hotplug.d/iface/30-ha-router', '/usr/libexec/ha-router/boot-guard']),
		);
	});
	it.each(shellScripts)('%s parses with sh -n (busybox ash and dash)', (f) => {
		for (const sh of [ASH, ['sh']]) {
			const r = run([...sh, '-n', path.join(FILES, f)]);
			expect({ sh: sh.join(' '), code: r.code, stderr: r.stderr }).toEqual({ sh: sh.join(' '), code: 0, stderr: '' });
		}
	});
	// rc.common reads START and USE_PROCD from the init script: SC2034 (unused variable) is noise there.
	it.skipIf(run(['sh', '-c', 'command -v shellcheck']).code !== 0).each(shellScripts)('%s is shellcheck clean', (f) => {
		const rcCommon = readFileSync(path.join(FILES, f), 'utf8').startsWith('#!/bin/sh /etc/rc.common');
		const r = run(['shellcheck', '-s', 'sh', ...(rcCommon ? ['-e', 'SC2034'] : []), path.join(FILES, f)]);
		expect({ f, code: r.code, out: r.stdout }).toEqual({ f, code: 0, out: '' });
	});
	it('the init script is a procd script with START, a reload trigger and a boot-only --boot', () => {
		const init = readFileSync(path.join(FILES, 'etc/init.d/ha-router'), 'utf8');
		expect(init.split('\n', 1)[0]).toBe('#!/bin/sh /etc/rc.common');
		// rpcd's rc object (rpcd: rc.c, rc_list_readdir) reads START=/USE_PROCD= from the first 11
		// lines only (`count <= 10`): past them LuCI's startup page shows no start and no running.
		const head = init.split('\n').slice(0, 11).join('\n');
		const start = Number(/^START=(\d+)$/m.exec(head)?.[1]);
		expect(start).toBeGreaterThan(20); // network
		expect(start).toBeLessThan(35); // odhcpd, and keepalived (70)
		expect(head).toMatch(/^USE_PROCD=1$/m);
		expect(init).toMatch(/procd_add_reload_trigger ha-router/);
	});

	/**
	 * Sources the init script as rc.common does and runs one of its functions with fake programs;
	 * `before` is shell run first (stand-ins for procd's helpers).
	 */
	function initCall(fn: string, applyCode = 0, before: string[] = [], env: Record<string, string> = {}) {
		const dir = tempDir('init');
		const log = path.join(dir, 'log');
		writeFileSync(log, '');
		for (const name of ['ha-router']) {
			writeFileSync(path.join(dir, name), `#!/bin/sh\necho "${name} $*" >> "$LOG"\n[ "$1" = apply ] && exit ${applyCode}\nexit 0\n`);
			chmodSync(path.join(dir, name), 0o755);
		}
		const script = [
			...before,
			'. "$1"',
			`HA_ROUTER="$2/ha-router"`,
			'start() { start_service "$@"; }',
			`${fn}`,
		].join('\n');
		const r = run([...ASH, '-c', script, 'rc.common', path.join(FILES, 'etc/init.d/ha-router'), dir], { env: { PATH: process.env.PATH, LOG: log, ...env } });
		return { code: r.code, calls: readFileSync(log, 'utf8'), dir };
	}

	it('boot runs apply --boot; start (opkg, by hand) and reload (config change) a plain apply', () => {
		expect(initCall('boot')).toMatchObject({ code: 0, calls: 'ha-router apply --boot\n' });
		expect(initCall('start')).toMatchObject({ code: 0, calls: 'ha-router apply\n' });
		expect(initCall('reload_service')).toMatchObject({ code: 0, calls: 'ha-router apply\n' });
	});
	it("passes apply's failure on to procd", () => {
		expect(initCall('boot', 1)).toMatchObject({ code: 1, calls: 'ha-router apply --boot\n' });
		expect(initCall('reload_service', 1)).toMatchObject({ code: 1, calls: 'ha-router apply\n' });
	});

	/** procd's instance helpers and `uci -q get ha-router.@wan[0]` (a WAN section when $WAN is set), as recorders. */
	const PROCD = [
		'procd_open_instance() { echo "open $*" >> "$LOG"; }',
		'procd_set_param() { echo "param $*" >> "$LOG"; }',
		'procd_close_instance() { echo "close" >> "$LOG"; }',
		'uci() { [ "$*" = "-q get ha-router.@wan[0]" ] && [ -n "$WAN" ] && echo wan; return 0; }',
	];
	const agent = (dir: string) => ['open agent', `param command ${dir}/ha-router agent`, 'param respawn', 'close'];

	it('start runs the agent as a respawning procd instance, also after a failed apply, and the lease watcher only with a WAN', () => {
		const noWan = initCall('start', 0, PROCD);
		expect(noWan.code).toBe(0);
		expect(noWan.calls.split('\n')).toEqual(['ha-router apply', ...agent(noWan.dir), '']);

		const withWan = initCall('start', 0, PROCD, { WAN: '1' });
		expect(withWan.calls.split('\n')).toEqual([
			'ha-router apply',
			...agent(withWan.dir),
			'open lease-watch',
			`param command /usr/libexec/ha-router/lease-watch ${withWan.dir}/ha-router`,
			'param respawn',
			'close',
			'',
		]);

		const failed = initCall('boot', 1, PROCD);
		expect(failed.code).toBe(1);
		expect(failed.calls.split('\n')).toEqual(['ha-router apply --boot', ...agent(failed.dir), '']);
	});
});

describe('rpcd plugin', () => {
	it('list prints one JSON object of the five methods and their argument types (check: the config text, apply: dry_run, switchover: force, back, wait, drain: action, wait)', () => {
		const r = run([...ASH, plugin, 'list'], { input: '' });
		expect(r.code).toBe(0);
		// rpcd takes each argument's type from its example value: a string, booleans, and an integer.
		expect(JSON.parse(r.stdout)).toEqual({ status: {}, check: { config: 'text' }, apply: { dry_run: false }, switchover: { force: false, back: false, wait: 10 }, drain: { action: 'status', wait: 0 } });
	});

	it.each([
		['status', 'status --json'],
		['check', 'check --json --ubus-args {}'],
		['apply', 'apply --json --ubus-args {}'],
		['switchover', 'switchover --json --ubus-args {}'],
		['drain', 'drain --json --ubus-args {}'],
	])('call %s runs `ha-router %s` and passes its JSON object through', (method, argv) => {
		const dir = tempDir('rpcd');
		const log = path.join(dir, 'log');
		const r = call(method, { HA_ROUTER: fakeCli(dir), LOG: log, OUT: '{"role":"MASTER","n":1}' });
		expect(r.code).toBe(0);
		expect(JSON.parse(r.stdout)).toEqual({ role: 'MASTER', n: 1 });
		expect(readFileSync(log, 'utf8')).toBe(`${argv}\n`);
	});

	it('wraps a CLI that fails without JSON into one object with its exit code and output', () => {
		const dir = tempDir('rpcd');
		const r = call('apply', {
			HA_ROUTER: fakeCli(dir),
			LOG: path.join(dir, 'log'),
			OUT: 'line "one" \\ back\n\ttabbed',
			ERR: 'boom',
			CODE: '3',
		});
		expect(JSON.parse(r.stdout)).toEqual({ ok: false, code: 3, stdout: 'line "one" \\ back\n tabbed', stderr: 'boom' });
	});

	it('answers a missing CLI and an unknown method with a JSON object, never empty output', () => {
		const missing = call('status', { HA_ROUTER: '/nonexistent/ha-router' });
		expect(JSON.parse(missing.stdout)).toEqual({ ok: false, error: '/nonexistent/ha-router is missing or not executable (is the ha-router package installed?)' });
		const unknown = call('frobnicate', {});
		expect(JSON.parse(unknown.stdout)).toEqual({ ok: false, error: "unknown method 'frobnicate'" });
	});

	it('ACL grants exactly the plugin methods: status/check to read, apply, switchover, drain and uci ha-router to write', () => {
		const acl = JSON.parse(readFileSync(path.join(ROOT, 'openwrt/luci-app-ha-router/root/usr/share/rpcd/acl.d/luci-app-ha-router.json'), 'utf8'));
		expect(Object.keys(acl)).toEqual(['luci-app-ha-router']);
		const group = acl['luci-app-ha-router'];
		expect(group.read).toEqual({ ubus: { 'ha-router': ['status', 'check'] } });
		expect(group.write).toEqual({ ubus: { 'ha-router': ['apply', 'switchover', 'drain'] }, uci: { 'ha-router': ['read', 'write'] } });
		const methods = Object.keys(JSON.parse(run([...ASH, plugin, 'list']).stdout)).sort();
		expect([...group.read.ubus['ha-router'], ...group.write.ubus['ha-router']].sort()).toEqual(methods);
	});
});

describe('hotplug and firewall glue', () => {
	/**
	 * Sources the iface hotplug script as hotplug-call does, with a fake uci: WAN_SECTION set means
	 * the first wan section exists (named or not), WAN_IF its interface option (unset: absent).
	 */
	function hotplug(env: Record<string, string>) {
		const dir = tempDir('hotplug');
		const log = path.join(dir, 'log');
		writeFileSync(log, '');
		writeFileSync(
			path.join(dir, 'uci'),
			'#!/bin/sh\ncase "$*" in\n"-q get ha-router.@wan[0]") [ -n "${WAN_SECTION}" ] && echo wan ;;\n' +
				'"-q get ha-router.@wan[0].interface") [ -n "${WAN_SECTION}" ] && [ -n "${WAN_IF}" ] && echo "${WAN_IF}" ;;\n*) exit 1 ;;\nesac\n',
		);
		chmodSync(path.join(dir, 'uci'), 0o755);
		const script = path.join(FILES, 'etc/hotplug.d/iface/30-ha-router');
		const r = run([...ASH, '-c', '( . "$1" )', 'hotplug-call', script], {
			env: { PATH: `${dir}:${process.env.PATH}`, HA_ROUTER: fakeCli(dir), LOG: log, WAN_SECTION: '1', WAN_IF: 'wan', ...env },
		});
		return { ...r, calls: readFileSync(log, 'utf8') };
	}

	it.each(['ifup', 'ifupdate', 'ifdown'])('%s of the shared WAN runs `ha-router lease <action> <interface>`', (action) => {
		expect(hotplug({ ACTION: action, INTERFACE: 'wan' })).toMatchObject({ code: 0, calls: `lease ${action} wan\n` });
	});

	it('finds the first wan section whatever its name, its interface defaulting to wan', () => {
		expect(hotplug({ ACTION: 'ifup', INTERFACE: 'wan', WAN_IF: '' }).calls).toBe('lease ifup wan\n');
		expect(hotplug({ ACTION: 'ifup', INTERFACE: 'uplink', WAN_IF: 'uplink' }).calls).toBe('lease ifup uplink\n');
	});

	it('the ifup of a device the site routes name runs `ha-router routes`, nothing else does', () => {
		const routes = path.join(tempDir('site-routes'), 'site-routes');
		writeFileSync(routes, '# generated by ha-router, do not edit\nroute replace 10.0.0.0/24 via 172.16.10.2 dev site10 table 18433\n');
		const site = { HA_ROUTER_SITE_ROUTES: routes, INTERFACE: 'site10' };
		expect(hotplug({ ...site, ACTION: 'ifup', DEVICE: 'site10' })).toMatchObject({ code: 0, calls: 'routes\n' });
		expect(hotplug({ ...site, ACTION: 'ifup', DEVICE: 'site1' }).calls).toBe('');
		expect(hotplug({ ...site, ACTION: 'ifdown', DEVICE: 'site10' }).calls).toBe('');
		expect(hotplug({ ...site, ACTION: 'ifup', DEVICE: 'site10', HA_ROUTER_SITE_ROUTES: `${routes}.missing` }).calls).toBe('');
	});

	it('ignores other interfaces, other actions, and a node without a shared WAN', () => {
		expect(hotplug({ ACTION: 'ifup', INTERFACE: 'lan' }).calls).toBe('');
		expect(hotplug({ ACTION: 'free', INTERFACE: 'wan' }).calls).toBe('');
		expect(hotplug({ ACTION: 'ifup', INTERFACE: 'wan', WAN_SECTION: '' }).calls).toBe('');
	});
});
