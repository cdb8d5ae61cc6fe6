#!/usr/bin/env node
// Config parse benchmark on real tjs: node test/bench/config-parse.mjs [iterations]
// Generates a 2 000-line /etc/config/network (plus a matching ha-router), bundles
// config-parse-main.ts for tjs, and prints parse and parse+validate times in ms.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const here = import.meta.dirname;
const root = path.resolve(here, '../..');
const iterations = process.argv[2] ?? '20';

function networkFile(targetLines) {
	const out = ['# generated for the config-parse benchmark', '', "config globals 'globals'", "\toption ula_prefix 'fd12:3456:789a::/48'", ''];
	for (let i = 0; out.length < targetLines - 12; i++) {
		const a = (i >> 8) & 255;
		const b = i & 255;
		out.push(
			`# VLAN ${i}`,
			'config device',
			`\toption name 'br-v${i}'`,
			"\toption type 'bridge'",
			`\tlist ports 'lan1.${i}'`,
			'',
			`config interface 'v${i}'`,
			`\toption device 'br-v${i}'`,
			"\toption proto 'static'",
			`\toption ipaddr '10.${a}.${b}.2'`,
			"\toption netmask '255.255.255.0'",
			`\tlist ip6addr 'fd00:${i.toString(16)}::2/64'`,
			`\tlist dns "10.${a}.${b}.1"`,
			'',
		);
	}
	out.push("config interface 'lan'", "\toption device 'br-lan'", "\toption proto 'static'", "\toption ipaddr '192.168.1.2'", "\toption netmask '255.255.255.0'", '');
	out.push("config interface 'wan'", "\toption device 'eth1'", "\toption proto 'dhcp'", '');
	return `${out.join('\n')}\n`;
}

const HA = `config node 'node'
	option name 'ha1'

config vrrp 'lan'
	option interface 'lan'
	option vrid '51'
	option advert_int '0.1'
	list vip '192.168.1.1/24'
	list unicast_peer '192.168.1.3'

config vrrp 'v7'
	option interface 'v7'
	option vrid '7'
	list vip '10.0.7.1/24'

config wan 'wan'
	option parent 'eth1'
	option macaddr '02:68:61:00:00:01'

config sync 'sync'
	option interface 'lan'
	option peer '192.168.1.3'
`;

const dir = mkdtempSync(path.join(os.tmpdir(), 'ha-router-bench-'));
try {
	writeFileSync(path.join(dir, 'network'), networkFile(2000));
	writeFileSync(path.join(dir, 'ha-router'), HA);
	const bundle = path.join(dir, 'bench.js');
	await build({ entryPoints: [path.join(here, 'config-parse-main.ts')], bundle: true, format: 'esm', platform: 'neutral', target: 'es2023', external: ['tjs:*'], outfile: bundle, logLevel: 'error' });
	const r = spawnSync(path.join(root, '.cache/bin/tjs'), ['run', bundle, '--', dir, iterations], { encoding: 'utf8' });
	process.stdout.write(r.stdout);
	process.stderr.write(r.stderr);
	process.exitCode = r.status ?? 1;
} finally {
	rmSync(dir, { recursive: true, force: true });
}
