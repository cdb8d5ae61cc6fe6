// Benchmark (not a test): `ha-router apply` wall time on tjs for a typical node of the
// emulated pair: the first apply (renders, checks with keepalived -t and nft -c, writes,
// starts conntrackd and keepalived), an apply with nothing to change, and --dry-run.
// Run (root): node scripts/run-ts.mjs test/bench/apply-time.ts [N]
import path from 'node:path';
import { haRouter, haRouterStack } from '../e2e/lib/ha-router-node.ts';
import { createTestbed } from '../e2e/lib/testbed.ts';
import { defaultRole } from '../e2e/lib/uci-files.ts';

const n = Number(process.argv[2] ?? 10);
const bed = await createTestbed();
try {
	const r0 = bed.routers[0]!;
	await haRouterStack.configure(bed, r0, defaultRole(r0));
	const args = ['--config', path.join(r0.root, 'etc/config'), '--root', r0.root];
	const timed = async (extra: string[]) => {
		const t0 = performance.now();
		const r = await haRouter(r0, ['apply', ...extra, ...args]);
		if (r.code !== 0) throw new Error(`apply ${extra.join(' ')} exited ${r.code}: ${r.stderr}`);
		return { ms: performance.now() - t0, out: r.stdout };
	};
	const first = await timed([]);
	const same: number[] = [];
	const dry: number[] = [];
	for (let i = 0; i < n; i++) {
		const s = await timed([]);
		// The text says what it changed first ('no change'), then what runs.
		if (s.out.split('\n')[0] !== 'no change') throw new Error(`second apply changed something: ${s.out}`);
		same.push(s.ms);
		dry.push((await timed(['--dry-run'])).ms);
	}
	const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!.toFixed(0);
	console.log(`apply on tjs, typical node (1 VRRP group, shared WAN, sync), ${n} runs`);
	console.log(`  first apply (writes 4 files, keepalived -t, nft -c, starts conntrackd + keepalived): ${first.ms.toFixed(0)} ms`);
	console.log(`  apply with nothing to change:  median ${med(same)} ms`);
	console.log(`  apply --dry-run:               median ${med(dry)} ms`);
} finally {
	await bed.destroy();
}
