// Benchmark (not a test): `ha-router notify` on real tjs, alternating MASTER and BACKUP, with two
// role services whose init scripts do nothing. Reports, per transition: wall time from spawn to
// exit, time inside the transition until the last service was started, and peak RSS; and what
// loading the bundle costs: `--version` against tjs running an empty script.
// Run: node test/bench/hook-latency.mjs [N [bundle]]   (after make build)
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TJS = path.join(ROOT, '.cache/bin/tjs');
const BUNDLE = process.argv[3] ?? path.join(ROOT, 'dist/ha-router.js');
const N = Number(process.argv[2] ?? 40);

const root = mkdtempSync(path.join(os.tmpdir(), 'hr-bench-'));
try {
	mkdirSync(`${root}/etc/config`, { recursive: true });
	mkdirSync(`${root}/etc/init.d`, { recursive: true });
	writeFileSync(`${root}/etc/config/ha-router`, "config node 'node'\n\toption name 'b1'\n\toption platform 'linux'\n\toption vip_route_fix '0'\n\tlist service 'svc_a'\n\tlist service 'svc_b'\n\nconfig vrrp 'lan'\n\toption interface 'lan'\n\toption vrid '51'\n\tlist vip '192.168.77.1/24'\n");
	writeFileSync(`${root}/etc/config/network`, "config interface 'lan'\n\toption device 'dummy0'\n\toption proto 'static'\n\toption ipaddr '192.168.77.2'\n\toption netmask '255.255.255.0'\n");
	for (const s of ['svc_a', 'svc_b']) {
		writeFileSync(`${root}/etc/init.d/${s}`, '#!/bin/sh\nexit 0\n');
		chmodSync(`${root}/etc/init.d/${s}`, 0o755);
	}
	const rows = { wall: [], toServices: [], plan: [], rss: [] };
	const base = { wall: [], rss: [] };
	const version = [];
	writeFileSync(`${root}/empty.js`, '');
	for (let i = 0; i < N; i++) {
		const state = i % 2 ? 'BACKUP' : 'MASTER';
		const t0 = process.hrtime.bigint();
		const r = spawnSync('/usr/bin/time', ['-f', '%M', TJS, 'run', BUNDLE, '--root', root, 'notify', 'INSTANCE', 'lan', state, '100'], { encoding: 'utf8' });
		const wall = Number(process.hrtime.bigint() - t0) / 1e6;
		if (r.status !== 0) throw new Error(`notify exited ${r.status}: ${r.stderr}`);
		const st = JSON.parse(readFileSync(`${root}/var/run/ha-router/state.json`, 'utf8'));
		rows.wall.push(wall);
		rows.rss.push(Number(r.stderr.trim().split('\n').at(-1)));
		rows.plan.push(st.transition.ms);
		if (state === 'MASTER') {
			const steps = st.transition.steps;
			const last = steps.findLastIndex((s) => s.kind === 'service-start');
			rows.toServices.push(steps.slice(0, last + 1).reduce((a, s) => a + s.ms, 0));
		}
		const t1 = process.hrtime.bigint();
		const e = spawnSync('/usr/bin/time', ['-f', '%M', TJS, 'run', `${root}/empty.js`], { encoding: 'utf8' });
		base.wall.push(Number(process.hrtime.bigint() - t1) / 1e6);
		base.rss.push(Number(e.stderr.trim().split('\n').at(-1)));
		const t2 = process.hrtime.bigint();
		if (spawnSync('/usr/bin/time', ['-f', '%M', TJS, 'run', BUNDLE, '--version']).status !== 0) throw new Error('--version failed');
		version.push(Number(process.hrtime.bigint() - t2) / 1e6);
	}
	const q = (a, p) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))];
	const fmt = (a, unit) => `median ${q(a, 0.5).toFixed(1)} ${unit}, p90 ${q(a, 0.9).toFixed(1)} ${unit}`;
	console.log(`hook latency, ${N} notify runs on tjs (${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores)`);
	console.log(`  wall, spawn to exit:               ${fmt(rows.wall, 'ms')}`);
	console.log(`  tjs running an empty script:       ${fmt(base.wall, 'ms')}`);
	console.log(`  ha-router --version (load only):   ${fmt(version, 'ms')}`);
	console.log(`  transition start -> services up:   ${fmt(rows.toServices, 'ms')}`);
	console.log(`  whole transition (plan):           ${fmt(rows.plan, 'ms')}`);
	console.log(`  peak RSS notify / empty script:    ${q(rows.rss, 0.5)} KB / ${q(base.rss, 0.5)} KB`);
} finally {
	rmSync(root, { recursive: true, force: true });
}
