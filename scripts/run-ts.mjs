// Runs a TypeScript entry (the demo, benchmarks) under Node: bundles it with esbuild, keeping
// each file's import.meta.dirname pointing at its source directory, then imports the bundle.
// Usage: node scripts/run-ts.mjs ENTRY.ts [args...]
import { build } from 'esbuild';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
	console.error('usage: node scripts/run-ts.mjs ENTRY.ts [args...]');
	process.exit(2);
}
const out = path.resolve('.cache/run', `${path.basename(entry, '.ts')}.mjs`);
mkdirSync(path.dirname(out), { recursive: true });
await build({
	entryPoints: [entry],
	bundle: true,
	platform: 'node',
	format: 'esm',
	target: 'node18',
	packages: 'external',
	outfile: out,
	logLevel: 'warning',
	plugins: [
		{
			name: 'source-dirname',
			setup(b) {
				b.onLoad({ filter: /\.ts$/ }, (a) => ({
					contents: readFileSync(a.path, 'utf8').replaceAll('import.meta.dirname', JSON.stringify(path.dirname(a.path))),
					loader: 'ts',
				}));
			},
		},
	],
});
process.argv = [process.argv[0], out, ...args];
await import(pathToFileURL(out).href);
