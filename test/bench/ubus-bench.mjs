// Benchmark, not a test: round trip of N sequential ubus calls under tjs against the Node protocol
// test server (a netifd-sized status reply), versus N spawns of `true` under tjs.
// Run: node test/bench/ubus-bench.mjs [N]   (needs .cache/bin/tjs: sh scripts/get-tjs.sh)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, '../..');
const n = Number(process.argv[2] ?? 1000);
const dir = mkdtempSync(path.join(os.tmpdir(), 'hr4-bench-'));
try {
	const common = { bundle: true, format: 'esm', logLevel: 'error' };
	await build({ ...common, entryPoints: [path.join(root, 'test/support/ubus-server.ts')], platform: 'node', outfile: path.join(dir, 'server.mjs') });
	await build({ ...common, entryPoints: [path.join(here, 'ubus-bench-driver.ts')], platform: 'neutral', target: 'es2023', external: ['tjs:*'], outfile: path.join(dir, 'driver.js') });
	const { UbusTestServer } = await import(path.join(dir, 'server.mjs'));
	const server = new UbusTestServer(path.join(dir, 'ubus.sock'));
	const status = {
		up: true, pending: false, available: true, autostart: true, dynamic: false, uptime: 4242, l3_device: 'hawan', proto: 'dhcp', device: 'hawan',
		metric: 0, dns_metric: 0, delegation: true, 'ipv4-address': [{ address: '198.51.100.126', mask: 24 }], 'ipv6-address': [], 'ipv6-prefix': [],
		'ipv6-prefix-assignment': [], route: [{ target: '0.0.0.0', mask: 0, nexthop: '198.51.100.1', source: '198.51.100.126/32' }],
		'dns-server': ['198.51.100.1'], 'dns-search': [], neighbors: [], inactive: { 'ipv4-address': [], 'ipv6-address': [], route: [], 'dns-server': [], 'dns-search': [], neighbors: [] },
		data: { leasetime: 300 },
	};
	server.add('network.interface.wan', { status: () => ({ data: [status] }) });
	server.add('rt.echo', { echo: (a) => ({ data: [a] }) });
	await server.start();
	const child = spawn(path.join(root, '.cache/bin/tjs'), ['run', path.join(dir, 'driver.js'), server.path, String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
	let out = '';
	child.stdout.on('data', (d) => (out += d));
	const code = await new Promise((r) => child.on('close', r));
	await server.stop();
	if (code !== 0) throw new Error(`driver exited ${code}`);
	const r = JSON.parse(out);
	console.log(`tjs, ${r.n} sequential ubus calls (network.interface.wan status, ~700 B reply): ${r.callMs} ms total, ${(r.callMs / r.n).toFixed(3)} ms per call`);
	console.log(`tjs, ${r.n} sequential ubus calls with an empty reply (protocol cost alone): ${r.emptyMs} ms total, ${(r.emptyMs / r.n).toFixed(3)} ms per call`);
	console.log(`tjs, ${r.n} spawns of \`true\` (Runtime.spawn): ${r.spawnMs} ms total, ${(r.spawnMs / r.n).toFixed(3)} ms per spawn`);
} finally {
	rmSync(dir, { recursive: true, force: true });
}
