// Bundles src/main.ts into dist/ha-router.js: one minified ES2023 module for txiki.js 24.12,
// shipped as QuickJS bytecode with the module's source as the fallback (scripts/bytecode-bundle.mjs).
// Fails if the bundle refers to a Node module or global (tjs has neither), and prints its size.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { bytecodeBundle, compileBytecode } from './bytecode-bundle.mjs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const out = 'dist/ha-router.js';
// The tjs the tests run (scripts/get-tjs.sh); its QuickJS makes the bytecode.
const tjs = '.cache/bin/tjs';

// What the bundle is built from, hashed: a model cached by another build is never taken for this one's.
const sources = readdirSync('src', { recursive: true }).filter((f) => f.endsWith('.ts')).sort();
const hash = createHash('sha256');
for (const f of sources) hash.update(`${f}\0${readFileSync(`src/${f}`, 'utf8')}\0`);
const buildId = hash.digest('hex').slice(0, 16);

const result = await build({
	entryPoints: ['src/main.ts'],
	bundle: true,
	format: 'esm',
	platform: 'neutral',
	target: 'es2023',
	external: ['tjs:*'],
	mainFields: ['module', 'main'],
	minify: true,
	legalComments: 'none',
	define: { __VERSION__: JSON.stringify(pkg.version), __BUILD__: JSON.stringify(buildId) },
	metafile: true,
	outfile: out,
	write: false,
	logLevel: 'warning',
});

const code = result.outputFiles[0].text;
// Node-only names that must never reach the router. Checked on the minified output, so a
// property named like one (obj.process) is allowed but a free reference is not.
const forbidden = [
	[/\bfrom\s*["']node:/, 'a node: import'],
	[/\bimport\(\s*["']node:/, 'a node: dynamic import'],
	[/(^|[^.\w$])require\s*\(/, 'require()'],
	[/(^|[^.\w$])process\s*\./, 'the process global'],
	[/(^|[^.\w$])Buffer\s*\./, 'the Buffer global'],
	[/(^|[^.\w$])__dirname\b/, '__dirname'],
];
const bad = forbidden.filter(([re]) => re.test(code)).map(([, what]) => what);
const inputs = Object.keys(result.metafile.inputs).filter((f) => f.startsWith('node:') || f.includes('node_modules/'));
if (inputs.length) bad.push(`inputs from Node or npm: ${inputs.join(', ')}`);
if (bad.length) {
	console.error(`build: ${out} must run on txiki.js but uses ${bad.join('; ')}`);
	process.exit(1);
}
const { bytecode, quickjs } = compileBytecode(tjs, code);
const header = `#!/usr/bin/tjs run\n// ha-router ${pkg.version}, built by scripts/build.mjs: QuickJS ${quickjs} bytecode of the bundle, then its source.`;
const file = bytecodeBundle({ header, source: code, bytecode, quickjs });
// write: false above: esbuild creates no directory, so a clean checkout has no dist/ yet.
mkdirSync('dist', { recursive: true });
writeFileSync(out, file);
chmodSync(out, 0o755);

const bytes = Buffer.byteLength(code);
const gz = gzipSync(code, { level: 9 }).length;
const parsed = file.indexOf('/*', file.indexOf('evalBytecode'));
const top = Object.entries(result.metafile.outputs[out].inputs)
	.sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)
	.slice(0, 12)
	.map(([f, v]) => `  ${String(v.bytesInOutput).padStart(7)}  ${f}`);
const report = [
	`${out}: ${file.length} bytes, ${gzipSync(file, { level: 9 }).length} bytes gzip -9; tjs parses the first ${parsed} (the loader)`,
	`  source:   ${bytes} bytes minified, ${gz} bytes gzip -9 (compiled only where the bytecode cannot load)`,
	`  bytecode: ${bytecode.length} bytes, QuickJS ${quickjs}, ${gzipSync(bytecode, { level: 9 }).length} bytes gzip -9`,
	'largest inputs:',
	...top,
	'',
].join('\n');
writeFileSync('dist/size.txt', report);
process.stdout.write(report);
