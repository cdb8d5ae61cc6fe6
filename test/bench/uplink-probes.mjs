// Benchmark (not a test): what the uplink monitor's probes cost, in process (Runtime.openIcmp via
// probeTarget) against the former `ping -c 1` spawned per target and round. Each mode runs in its
// own tjs process for 20 s: 5 rounds a second, one ICMP echo to each of two targets, from one
// source, between two network namespaces of its own (a veth pair); and the same loop with no probe
// (idle) as the baseline. CPU time of the tjs process
// (and of its children, the pings) from /proc/self/stat; peak and final RSS from /proc/self/status.
// Run as root: node test/bench/uplink-probes.mjs [seconds]   (wrap in flock /tmp/ha-e2e.lock)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TJS = path.join(ROOT, '.cache/bin/tjs');
const SECONDS = process.argv[2] ?? '20';
const near = `ha-pbench-c-${process.pid}`;
const far = `ha-pbench-f-${process.pid}`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'ha-pbench-'));

function sh(...argv) {
	const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
	if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
	return r.stdout;
}

const script = path.join(dir, 'main.js');
await build({ entryPoints: [path.join(import.meta.dirname, 'uplink-probes-main.ts')], bundle: true, format: 'esm', platform: 'neutral', target: 'es2023', external: ['tjs:*'], outfile: script, logLevel: 'error' });
try {
	sh('ip', 'netns', 'add', near);
	sh('ip', 'netns', 'add', far);
	sh('ip', 'link', 'add', 'veth0', 'netns', near, 'type', 'veth', 'peer', 'name', 'veth1', 'netns', far);
	sh('ip', '-n', near, 'addr', 'add', '10.202.0.1/24', 'dev', 'veth0');
	sh('ip', '-n', far, 'addr', 'add', '10.202.0.2/24', 'dev', 'veth1');
	sh('ip', '-n', far, 'addr', 'add', '10.202.0.4/24', 'dev', 'veth1');
	for (const [ns, dev] of [[near, 'veth0'], [far, 'veth1']]) {
		sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
		sh('ip', '-n', ns, 'link', 'set', dev, 'up');
	}
	for (const mode of ['idle', 'inproc', 'spawn']) {
		const out = sh('ip', 'netns', 'exec', near, TJS, 'run', script, mode, SECONDS, '10.202.0.1', '10.202.0.2', '10.202.0.4');
		console.log(out.trim());
	}
} finally {
	spawnSync('ip', ['netns', 'del', near]);
	spawnSync('ip', ['netns', 'del', far]);
	rmSync(dir, { recursive: true, force: true });
}
