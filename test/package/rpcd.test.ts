// The ubus surface of the package: the rpcd plugin advertises, and the ACL grants, only methods
// the CLI really has, and a read-only LuCI user can never read a secret (the VRRP auth_pass),
// neither through uci nor through what the plugin's methods print.
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TJS } from '../support/tjs.ts';
import { ASH, bundle, FILES, ROOT, run, tempDir } from './support.ts';

const plugin = path.join(FILES, 'usr/libexec/rpcd/ha-router');
const acl = JSON.parse(readFileSync(path.join(ROOT, 'openwrt/luci-app-ha-router/root/usr/share/rpcd/acl.d/luci-app-ha-router.json'), 'utf8'));

/** The CLI's commands as its own --help lists them (the built bundle, as the router runs it). */
function cliCommands(): string[] {
	const help = run([TJS, 'run', bundle(), '--help']).stdout;
	const block = help.split('\nCommands:\n')[1]?.split('\n\n')[0] ?? '';
	const names = block.split('\n').map((l) => /^ {2}([a-z][a-z-]*)\s/.exec(l)?.[1]);
	return names.filter((n): n is string => n !== undefined);
}

function listed(): string[] {
	const r = run([...ASH, plugin, 'list']);
	expect(r.code).toBe(0);
	return Object.keys(JSON.parse(r.stdout));
}

type Section = Record<string, string[] | Record<string, string[]>>;

/**
 * What rpcd's session.c grants a login from an ACL file: `write` on a group implies `read`;
 * a scope in array notation grants the permission name ("read"/"write") as the function, a
 * scope in table notation the functions listed. Returns "scope object function" triples.
 */
function grants(perm: 'read' | 'write'): string[] {
	const out: string[] = [];
	for (const group of Object.values<Record<string, Section>>(acl)) {
		for (const p of perm === 'write' ? ['read', 'write'] : ['read']) {
			for (const [scope, objects] of Object.entries(group[p] ?? {})) {
				if (Array.isArray(objects)) for (const o of objects) out.push(`${scope} ${o} ${p}`);
				else for (const [o, fns] of Object.entries(objects)) for (const f of fns) out.push(`${scope} ${o} ${f}`);
			}
		}
	}
	return [...new Set(out)].sort();
}

describe('methods', () => {
	it('reads the command list from the CLI', () => {
		expect(cliCommands()).toEqual(expect.arrayContaining(['check', 'apply', 'status']));
	});

	it('the plugin lists only methods that are CLI commands', () => {
		const commands = cliCommands();
		for (const m of listed()) expect({ m, exists: commands.includes(m) }).toEqual({ m, exists: true });
	});

	it('the ACL grants only methods the plugin lists', () => {
		const methods = listed();
		const granted = grants('write').filter((g) => g.startsWith('ubus ha-router '));
		expect(granted.length).toBeGreaterThan(0);
		for (const g of granted) expect({ g, listed: methods.includes(g.split(' ')[2]!) }).toEqual({ g, listed: true });
	});

	it.each(['notify', 'teardown', 'agent', 'frobnicate'])('call %s (not listed) answers an error and runs no CLI', (method) => {
		const dir = tempDir('rpcd');
		const log = path.join(dir, 'log');
		writeFileSync(path.join(dir, 'cli'), '#!/bin/sh\necho "$*" >> "$LOG"\n');
		chmodSync(path.join(dir, 'cli'), 0o755);
		const r = run([...ASH, plugin, 'call', method], { input: '{}', env: { PATH: process.env.PATH, HA_ROUTER: path.join(dir, 'cli'), LOG: log } });
		expect(JSON.parse(r.stdout)).toEqual({ ok: false, error: `unknown method '${method}'` });
		expect(() => readFileSync(log)).toThrow();
	});
});

describe('switchover', () => {
	it.each([
		['compact', '{"force":true,"wait":5}'],
		['with blanks', '{ "force": true, "wait": 5 }'],
	])('call switchover hands the ubus arguments (stdin), %s, to the CLI as one --ubus-args word', (_, input) => {
		const dir = tempDir('rpcd');
		const log = path.join(dir, 'log');
		// One argument per line, after their count: a word split apart would show.
		writeFileSync(path.join(dir, 'cli'), '#!/bin/sh\nprintf "%s\\n" "$#" "$@" >> "$LOG"\necho \'{"ok":true}\'\n');
		chmodSync(path.join(dir, 'cli'), 0o755);
		const r = run([...ASH, plugin, 'call', 'switchover'], { input, env: { PATH: process.env.PATH, HA_ROUTER: path.join(dir, 'cli'), LOG: log } });
		expect(JSON.parse(r.stdout)).toEqual({ ok: true });
		expect(readFileSync(log, 'utf8')).toBe(`4\nswitchover\n--json\n--ubus-args\n${input}\n`);
	});

	it('the CLI refuses an unknown ubus argument with exit 2, names the valid ones, and changes nothing', () => {
		const root = tempDir('switchover');
		const direct = run([TJS, 'run', bundle(), 'switchover', '--json', '--ubus-args', '{"bogus":1}', '--root', root]);
		expect(direct.code).toBe(2);
		expect(direct.stdout).toBe('');
		expect(direct.stderr).toMatch(/'bogus'/);
		for (const name of ['force', 'back', 'wait']) expect(direct.stderr).toContain(name);
		expect(readdirSync(root)).toEqual([]);

		const cli = path.join(root, '..', `${path.basename(root)}.cli`);
		writeFileSync(cli, `#!/bin/sh\nexec "${TJS}" run "${bundle()}" "$@" --root "${root}"\n`);
		chmodSync(cli, 0o755);
		const viaPlugin = run([...ASH, plugin, 'call', 'switchover'], { input: '{"bogus":1}', env: { PATH: process.env.PATH, HA_ROUTER: cli } });
		expect(JSON.parse(viaPlugin.stdout)).toEqual({ ok: false, code: 2, stdout: '', stderr: direct.stderr.trim() });
		expect(readdirSync(root)).toEqual([]);
	});

	it('the CLI takes every advertised argument with its default, as a ubus caller sends them (--back with wait)', () => {
		const root = tempDir('switchover');
		// No configuration under the root: past argument parsing the command stops at loading it (exit 1, not 2).
		const r = run([TJS, 'run', bundle(), 'switchover', '--json', '--ubus-args', '{"force":false,"back":true,"wait":10}', '--root', root]);
		expect(r.code).toBe(1);
		expect(r.stderr).toMatch(/FILE_MISSING/);
		expect(run([TJS, 'run', bundle(), 'switchover', '--json', '--ubus-args', '{"force":true,"back":true}', '--root', root]).code).toBe(2);
	});
});

describe('least privilege', () => {
	it('a read-only login gets status and check, and no uci or file access', () => {
		expect(grants('read')).toEqual(['ubus ha-router check', 'ubus ha-router status']);
	});

	it('a login with write access can read and change /etc/config/ha-router, apply it, switch over and drain', () => {
		expect(grants('write')).toEqual(
			['ubus ha-router apply', 'ubus ha-router check', 'ubus ha-router drain', 'ubus ha-router status', 'ubus ha-router switchover', 'uci ha-router read', 'uci ha-router write'].sort(),
		);
	});
});

describe('no secret in what the plugin prints', () => {
	const SECRET = 'Zq7k3Wx9';
	const network = [
		"config interface 'lan'",
		"\toption device 'br-lan'",
		"\toption proto 'static'",
		"\toption ipaddr '192.168.1.2/24'",
		'',
		"config interface 'wan'",
		"\toption device 'eth1'",
		"\toption proto 'dhcp'",
		'',
	].join('\n');

	/** A staging root whose vrrp section carries `auth` (the auth_pass lines) and a CLI wrapper running the bundle on it. */
	function node(auth: string) {
		const root = tempDir('secret');
		mkdirSync(path.join(root, 'etc/config'), { recursive: true });
		const config = readFileSync(path.join(FILES, 'etc/config/ha-router'), 'utf8')
			.replace("option version '3'", "option version '2'")
			.replace("option advert_int '0.1'", "option advert_int '1'")
			.replace("#option parent 'eth1'", "option parent 'eth1'")
			.replace("#option peer '192.168.1.3'", "option peer '192.168.1.3'")
			.replace("\toption vrid '51'\n", `\toption vrid '51'\n\toption auth_type 'pass'\n${auth}`);
		expect(config).toContain(auth);
		writeFileSync(path.join(root, 'etc/config/ha-router'), config);
		writeFileSync(path.join(root, 'etc/config/network'), network);
		const cli = path.join(root, 'cli');
		writeFileSync(cli, `#!/bin/sh\nexec "${TJS}" run "${bundle()}" "$@" --root "${root}"\n`);
		chmodSync(cli, 0o755);
		return cli;
	}

	it.each([
		['a valid one', `\toption auth_pass '${SECRET}'\n`],
		['written as a list', `\tlist auth_pass '${SECRET}'\n`],
		['given twice', `\toption auth_pass '${SECRET}'\n\toption auth_pass '${SECRET}2'\n`],
		['too long', `\toption auth_pass '${SECRET}${SECRET}'\n`],
		['with a blank', `\toption auth_pass '${SECRET} x'\n`],
		['with a quote', `\toption auth_pass "${SECRET}'x"\n`],
		['with a control character', `\toption auth_pass '${SECRET}\u0001'\n`],
		['over two lines', `\toption auth_pass '${SECRET}\nx'\n`],
		['misspelt', `\toption auth_pas '${SECRET}'\n`],
	])('auth_pass %s: status, check and apply never print it', (_, auth) => {
		const cli = node(auth);
		for (const method of ['status', 'check', 'apply']) {
			const r = run([...ASH, plugin, 'call', method], { input: '{}', env: { PATH: process.env.PATH, HA_ROUTER: cli } });
			expect(() => JSON.parse(r.stdout)).not.toThrow();
			expect({ method, leaks: r.stdout.includes(SECRET) || r.stderr.includes(SECRET) }).toEqual({ method, leaks: false });
		}
	});
});

describe('arguments from LuCI', () => {
	it("check with the form's text answers what check --json says of that file, positions and words; ubus_rpc_session is no argument error", () => {
		const root = tempDir('check-text');
		mkdirSync(path.join(root, 'etc/config'), { recursive: true });
		const bad = readFileSync(path.join(FILES, 'etc/config/ha-router'), 'utf8').replace("option vrid '51'", "option vrid '300'");
		writeFileSync(path.join(root, 'etc/config/ha-router'), bad);
		const cli = path.join(root, 'cli');
		writeFileSync(cli, `#!/bin/sh\nexec "${TJS}" run "${bundle()}" "$@" --root "${root}"\n`);
		chmodSync(cli, 0o755);
		const direct = run([cli, 'check', '--json']);
		expect(direct.stdout).toMatch(/VRID_RANGE/);
		writeFileSync(path.join(root, 'etc/config/ha-router'), 'config node\n');
		const input = JSON.stringify({ config: bad, ubus_rpc_session: '0123456789abcdef0123456789abcdef' });
		const viaPlugin = run([...ASH, plugin, 'call', 'check'], { input, env: { PATH: process.env.PATH, HA_ROUTER: cli } });
		expect(viaPlugin.stdout).toBe(direct.stdout);
		const sw = run([...ASH, plugin, 'call', 'switchover'], { input: '{"ubus_rpc_session":"0123456789abcdef0123456789abcdef","back":true}', env: { PATH: process.env.PATH, HA_ROUTER: cli } });
		expect(JSON.parse(sw.stdout)).not.toMatchObject({ code: 2 });
	});
});
