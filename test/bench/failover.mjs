#!/usr/bin/env node
// The long failover benchmark (root only): node test/bench/failover.mjs [--runs 20] [--streams 200]
// [--scenarios a,b] [--stacks baseline,previous,ha-router,openwrt] [--previous <rev>] [--out bench/results.md].
// The testbed library is TypeScript; this bundles failover-main.ts with esbuild (a dev dependency) next to itself,
// runs it, and removes the bundle.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const here = import.meta.dirname;
process.chdir(path.resolve(here, '../..'));
// Next to the source, so that import.meta.dirname inside the bundle (test/support/tjs.ts) still finds the repo.
const out = path.join(here, `.failover-${process.pid}.mjs`);
// The benchmark ends with process.exit, which skips the finally below: remove the bundle on exit as well.
process.on('exit', () => rmSync(out, { force: true }));
try {
	await build({
		entryPoints: [path.join(here, 'failover-main.ts')],
		bundle: true,
		platform: 'node',
		format: 'esm',
		target: 'node20',
		packages: 'external',
		outfile: out,
		logLevel: 'error',
		// Every file keeps its own import.meta.dirname (test/openwrt finds its rootfs and tools from it).
		plugins: [
			{
				name: 'source-dirname',
				setup(b) {
					b.onLoad({ filter: /\.ts$/ }, (a) => ({ contents: readFileSync(a.path, 'utf8').replaceAll('import.meta.dirname', JSON.stringify(path.dirname(a.path))), loader: 'ts' }));
				},
			},
		],
	});
	await import(pathToFileURL(out).href);
} finally {
	rmSync(out, { force: true });
}
