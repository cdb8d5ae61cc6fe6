// Benchmark (not a test): what starting ha-router costs on tjs, against tjs running an empty
// script (issue 17's targets: `notify` spawn->exit at most 1.3x the empty script; peak RSS of
// `notify`, `apply` and the resident agent at most 4 MB above it).
//
// Start-up: N rounds, each running in turn tjs with an empty script, `ha-router --version` (load
// only), `ha-router notify` on a node without role services (the bundle's own work: config,
// queue, plan, state; its only step calls hotplug, which this root lacks) and on a node with two
// (each transition also spawns two init scripts, `sh`, whose cost is not the runtime's), both
// alternately MASTER and BACKUP so every run is a real transition; so load from other work on
// the machine falls on all of them alike; medians and p90. As on a router: the run directory is on tmpfs (/dev/shm, as
// /var/run is), and `logger` is not in PATH: this machine has no /dev/log, where a router's
// syslog listens, and the fallback would add a `logger` process per log level to every run.
//
// Peak RSS (VmHWM, the kernel's high-water mark of the process): the empty script, `notify`,
// `apply --dry-run` (reads and validates the configuration, renders every file and diffs it
// against the live ones; a real apply also runs keepalived, nft and conntrackd, which need the
// e2e testbed: apply-time.ts times that), and `ha-router agent` after running for a while, in a
// network namespace of its own with a veth pair as the peer link and a peer that never answers.
// Run: node test/bench/startup.mjs [N [bundle]]   (after make build; the agent part needs root)
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TJS = path.join(ROOT, '.cache/bin/tjs');
const N = Number(process.argv[2] ?? 40);
const BUNDLE = process.argv[3] ?? path.join(ROOT, 'dist/ha-router.js');
const AGENT_SECONDS = 5;

const tmpfs = existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
const dir = mkdtempSync(path.join(tmpfs, 'hr-startup-'));
// Nothing in PATH: the notify plan of this configuration runs only /etc/init.d scripts, by path.
const env = { ...process.env, PATH: path.join(dir, 'no-programs') };

function nodeRoot(name, ha, network) {
	const root = path.join(dir, name);
	mkdirSync(`${root}/etc/config`, { recursive: true });
	mkdirSync(`${root}/etc/init.d`, { recursive: true });
	writeFileSync(`${root}/etc/config/ha-router`, ha);
	writeFileSync(`${root}/etc/config/network`, network);
	for (const s of ['svc_a', 'svc_b']) {
		writeFileSync(`${root}/etc/init.d/${s}`, '#!/bin/sh\nexit 0\n');
		chmodSync(`${root}/etc/init.d/${s}`, 0o755);
	}
	return root;
}

const node = (extra, services = "\tlist service 'svc_a'\n\tlist service 'svc_b'\n") =>
	`config node 'node'\n\toption name 'b1'\n\toption platform 'linux'\n\toption vip_route_fix '0'\n${services}\n` +
	`config vrrp 'lan'\n\toption interface 'lan'\n\toption vrid '51'\n\tlist vip '192.168.77.1/24'\n${extra}`;
const network = "config interface 'lan'\n\toption device 'hr0'\n\toption proto 'static'\n\toption ipaddr '192.168.77.2'\n\toption netmask '255.255.255.0'\n";

/** Wall ms and peak RSS (KB) of one tjs run, which must exit 0. */
function timed(args) {
	const t0 = process.hrtime.bigint();
	const r = spawnSync('/usr/bin/time', ['-f', '%M', TJS, 'run', ...args], { encoding: 'utf8', env });
	const ms = Number(process.hrtime.bigint() - t0) / 1e6;
	if (r.status !== 0) throw new Error(`tjs run ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
	return { ms, kb: Number(r.stderr.trim().split('\n').at(-1)) };
}

/** VmHWM (KB) of `ha-router agent` after AGENT_SECONDS, in a network namespace of its own; null without root. */
async function agentPeak(root) {
	if (process.getuid?.() !== 0) return null;
	const setup = [
		'set -e',
		'ip link set lo up',
		'ip link add hr0 type veth peer name hr1',
		'ip link set hr1 up',
		'ip addr add 192.168.77.2/24 dev hr0',
		'ip link set hr0 up',
		`exec env PATH="${env.PATH}" "$@"`,
	].join('\n');
	const child = spawn('unshare', ['--net', 'sh', '-c', setup, 'sh', TJS, 'run', BUNDLE, '--root', root, 'agent'], { stdio: ['ignore', 'ignore', 'pipe'] });
	let stderr = '';
	child.stderr.on('data', (d) => (stderr += d));
	const exited = new Promise((resolve) => child.on('exit', resolve));
	const early = await Promise.race([exited, new Promise((r) => setTimeout(() => r('running'), AGENT_SECONDS * 1000))]);
	if (early !== 'running') throw new Error(`ha-router agent exited early (${early}): ${stderr}`);
	const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
	child.kill('SIGTERM');
	await exited;
	return Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1]);
}

try {
	mkdirSync(env.PATH);
	writeFileSync(path.join(dir, 'empty.js'), '');
	const bare = nodeRoot('bare', node('', ''), network);
	const hook = nodeRoot('hook', node(''), network);
	const rows = { empty: [], version: [], bare: [], notify: [] };
	const rss = { empty: [], notify: [] };
	for (let i = 0; i < N; i++) {
		const e = timed([path.join(dir, 'empty.js')]);
		rows.empty.push(e.ms);
		rss.empty.push(e.kb);
		rows.version.push(timed([BUNDLE, '--version']).ms);
		const state = i % 2 ? 'BACKUP' : 'MASTER';
		rows.bare.push(timed([BUNDLE, '--root', bare, 'notify', 'INSTANCE', 'lan', state, '100']).ms);
		const n = timed([BUNDLE, '--root', hook, 'notify', 'INSTANCE', 'lan', state, '100']);
		rows.notify.push(n.ms);
		rss.notify.push(n.kb);
	}
	for (const root of [bare, hook]) {
		const st = JSON.parse(readFileSync(`${root}/var/run/ha-router/state.json`, 'utf8'));
		if (st.repeated || !st.transition.steps.length) throw new Error(`the last notify under ${root} ran no transition: ${JSON.stringify(st)}`);
	}
	const apply = Math.max(...Array.from({ length: 5 }, () => timed([BUNDLE, '--root', hook, 'apply', '--dry-run']).kb));
	const agent = await agentPeak(nodeRoot('agent', node("\tlist unicast_peer '192.168.77.3'\n"), network));

	const q = (a, p) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))];
	const med = (a) => q(a, 0.5);
	const base = med(rows.empty);
	const line = (label, a, note = '') =>
		`  ${label.padEnd(34)} median ${med(a).toFixed(1)} ms, p90 ${q(a, 0.9).toFixed(1)} ms${a === rows.empty ? '' : `  (${(med(a) / base).toFixed(2)}x the empty script${note})`}`;
	const emptyKb = med(rss.empty);
	const mem = (label, kb) => `  ${label.padEnd(34)} ${kb === null ? 'not measured (needs root)' : `${kb} KB  (${kb - emptyKb >= 0 ? '+' : ''}${((kb - emptyKb) / 1024).toFixed(1)} MB)`}`;
	const size = readFileSync(BUNDLE).length;
	console.log(`start-up on tjs, ${N} rounds (${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores); ${path.relative(ROOT, BUNDLE)} ${size} bytes`);
	console.log(line('tjs running an empty script:', rows.empty));
	console.log(line('ha-router --version (load only):', rows.version));
	console.log(line('notify, no role services:', rows.bare, '; target <= 1.3x'));
	console.log(line('notify, two role services:', rows.notify));
	console.log(`peak RSS (VmHWM); target: at most 4 MB above the empty script`);
	console.log(`  ${'tjs running an empty script:'.padEnd(34)} ${emptyKb} KB`);
	console.log(mem('notify, two role services (median):', med(rss.notify)));
	console.log(mem('ha-router apply --dry-run (max):', apply));
	console.log(mem(`ha-router agent after ${AGENT_SECONDS} s:`, agent));
} finally {
	rmSync(dir, { recursive: true, force: true });
}
