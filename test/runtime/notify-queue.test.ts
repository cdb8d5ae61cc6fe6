// Real `ha-router notify` processes on tjs, started in bursts the way keepalived forks them:
// whatever the interleaving, the node ends in the state of the newest event, and the role
// services' init scripts saw the matching start/stop calls.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE, TJS } from '../support/tjs.ts';

let root: string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function notify(args: string[]): Promise<{ code: number | null; stderr: string }> {
	return new Promise((resolve) => {
		const p = spawn(TJS, ['run', BUNDLE, '--root', root, 'notify', ...args], { env: { ...process.env, HA_ROUTER_SELF: `${TJS} run ${BUNDLE}` } });
		let stderr = '';
		p.stderr.on('data', (d) => (stderr += d));
		p.on('close', (code) => resolve({ code, stderr }));
	});
}

beforeAll(() => {
	root = mkdtempSync(path.join(os.tmpdir(), 'hr-notify-'));
	mkdirSync(`${root}/etc/config`, { recursive: true });
	mkdirSync(`${root}/etc/init.d`, { recursive: true });
	writeFileSync(
		`${root}/etc/config/ha-router`,
		`config node 'node'
	option name 'n1'
	option platform 'linux'
	option vip_route_fix '0'
	list service 'svc_a'
	list service 'svc_b'

config vrrp 'lan'
	option interface 'lan'
	option vrid '51'
	list vip '192.168.77.1/24'
`,
	);
	writeFileSync(`${root}/etc/config/network`, `config interface 'lan'\n\toption device 'dummy0'\n\toption proto 'static'\n\toption ipaddr '192.168.77.2'\n\toption netmask '255.255.255.0'\n`);
	for (const s of ['svc_a', 'svc_b']) {
		// An init script that records each call and keeps a running flag.
		writeFileSync(
			`${root}/etc/init.d/${s}`,
			`#!/bin/sh\necho "${s} $1" >> "${root}/services.log"\n[ -e "${root}/slow" ] && sleep 1\ncase "$1" in\nstart) touch "${root}/${s}.on" ;;\nstop) rm -f "${root}/${s}.on" ;;\nrunning) [ -e "${root}/${s}.on" ] ;;\nesac\n`,
		);
		chmodSync(`${root}/etc/init.d/${s}`, 0o755);
	}
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const state = () => JSON.parse(readFileSync(`${root}/var/run/ha-router/state.json`, 'utf8'));
const services = () => readFileSync(`${root}/services.log`, 'utf8').trim().split('\n');

describe('notify on tjs', () => {
	it('runs the MASTER plan: services started in order, state recorded with step timings', async () => {
		const r = await notify(['INSTANCE', 'lan', 'MASTER', '100']);
		expect(r).toEqual({ code: 0, stderr: '' });
		const st = state();
		expect(st.role).toBe('MASTER');
		expect(st.transition.steps.map((s: { kind: string; target?: string; status: string }) => `${s.kind}:${s.target}:${s.status}`)).toEqual([
			'service-start:svc_a:ok',
			'service-start:svc_b:ok',
			'hotplug-keepalived:NOTIFY_MASTER:ok',
		]);
		expect(services()).toEqual(['svc_a start', 'svc_b start']);
	});
	it('repeats nothing for the same state, and ignores a foreign instance', async () => {
		expect((await notify(['INSTANCE', 'lan', 'MASTER', '100'])).code).toBe(0);
		expect((await notify(['INSTANCE', 'VI_other', 'BACKUP', '100'])).code).toBe(0);
		// The repeat is counted; the transition status shows stays the one that ran.
		expect(state()).toMatchObject({ role: 'MASTER', repeated: { count: 1 } });
		// A repeat is no role change: the history keeps the one transition.
		expect(state().history.map((h: { role: string; ok: boolean }) => `${h.role}:${h.ok}`)).toEqual(['MASTER:true']);
		expect(state().transition.steps.map((s: { kind: string }) => s.kind)).toEqual(['service-start', 'service-start', 'hotplug-keepalived']);
		expect(services()).toEqual(['svc_a start', 'svc_b start']);
	});
	it('finishes its transition when keepalived signals it on the way out', async () => {
		expect((await notify(['INSTANCE', 'lan', 'STOP', '100'])).code).toBe(0);
		const before = services().length;
		writeFileSync(`${root}/slow`, '');
		try {
			const p = spawn(TJS, ['run', BUNDLE, '--root', root, 'notify', 'INSTANCE', 'lan', 'MASTER', '100'], { env: { ...process.env, HA_ROUTER_SELF: `${TJS} run ${BUNDLE}` } });
			const exited = new Promise<number | null>((r) => p.on('close', r));
			// Signal while the first service is starting (it takes a second).
			for (let i = 0; i < 300 && services().length === before; i++) await sleep(10);
			p.kill('SIGTERM');
			p.kill('SIGHUP');
			expect(await exited).toBe(0);
		} finally {
			rmSync(`${root}/slow`);
		}
		expect(state()).toMatchObject({ role: 'MASTER', transition: { ok: true } });
		expect(services().slice(before)).toEqual(['svc_a start', 'svc_b start']);
		// Newest first, each with the time its transition started.
		const history = state().history as { role: string; at: number }[];
		expect(history.map((h) => h.role)).toEqual(['MASTER', 'STOP', 'MASTER']);
		expect(history[0]!.at).toBeGreaterThan(history[1]!.at);
	});
	it('refuses a malformed event with exit 2', async () => {
		const r = await notify(['INSTANCE', 'lan', 'MASTR', '100']);
		expect(r.code).toBe(2);
		expect(r.stderr).toMatch(/unknown state 'MASTR'/);
	});
	it('ends each of 25 random bursts of concurrent hooks in the newest event', async () => {
		let seed = 4242;
		const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
		const states = ['MASTER', 'BACKUP', 'FAULT'];
		for (let burst = 0; burst < 25; burst++) {
			const evs = Array.from({ length: 2 + Math.floor(rand() * 4) }, () => states[Math.floor(rand() * 3)]!);
			const runs: Promise<{ code: number | null; stderr: string }>[] = [];
			for (const s of evs) {
				runs.push(notify(['INSTANCE', 'lan', s, '100']));
				// keepalived forks the next hook shortly after; sometimes at once.
				if (rand() < 0.6) await sleep(Math.floor(rand() * 40));
			}
			for (const r of await Promise.all(runs)) expect(r).toEqual({ code: 0, stderr: '' });
			const want = evs.at(-1)!;
			expect(state().role, `burst ${burst}: ${evs.join(' ')}`).toBe(want);
			// The services' last calls match the final role.
			const log = services();
			expect(log.slice(-2), `burst ${burst}`).toEqual(want === 'MASTER' ? ['svc_a start', 'svc_b start'] : ['svc_b stop', 'svc_a stop']);
		}
	}, 120_000);
});
