// The one shipped file as QuickJS bytecode: tjs then parses a 1 KB loader instead of the whole
// bundle, which is most of the bundle's start-up cost (docs/decisions.md, "Start fast").
//
// Layout: a small loader, then two block comments that hold the raw bytes of the bytecode and of
// the bundle's source. QuickJS skips any bytes in a comment except '*/', so the build inserts '/*'
// after each '*/' of a payload and the loader reads around them. The loader reads its own file,
// evaluates the bytecode when this tjs has the QuickJS it was made by on a little-endian CPU,
// and otherwise (or if the bytecode does not load) compiles the source: slower, never wrong.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const COMPILER = `
const [src, out] = tjs.args.slice(3);
const code = tjs.engine.serialize(tjs.engine.compile(await tjs.readFile(src), 'ha-router.js'));
const fh = await tjs.open(out, 'w');
await fh.write(code);
await fh.close();
console.log(tjs.engine.versions.quickjs);
`;

/** Compiles an ES module's source with `tjs`: its bytecode and the QuickJS version that made it. */
export function compileBytecode(tjs, source) {
	const dir = mkdtempSync(path.join(os.tmpdir(), 'ha-router-bytecode-'));
	try {
		writeFileSync(path.join(dir, 'compile.js'), COMPILER);
		writeFileSync(path.join(dir, 'bundle.js'), source);
		const r = spawnSync(tjs, ['run', path.join(dir, 'compile.js'), path.join(dir, 'bundle.js'), path.join(dir, 'bundle.bc')], { encoding: 'utf8' });
		if (r.status !== 0) throw new Error(`${tjs} could not compile the bundle: ${r.error?.message ?? r.stderr}`);
		return { bytecode: readFileSync(path.join(dir, 'bundle.bc')), quickjs: r.stdout.trim() };
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

const LOADER = `
// A payload's bytes, read around the '/*' inserted after each of its '*/'.
async function payload(fh, [offset, length, cuts]) {
	const out = new Uint8Array(length);
	let at = 0;
	for (const [inserted, end] of [...cuts, length].entries()) {
		for (let n = at, r; n < end; n += r) {
			r = await fh.read(out.subarray(n, end), offset + n + 2 * inserted);
			if (!r) throw new Error(\`\${tjs.args[2]} is truncated\`);
		}
		at = end;
	}
	return out;
}
const fh = await tjs.open(tjs.args[2], 'r');
let code;
try {
	if (tjs.engine.versions.quickjs === QUICKJS && new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) {
		try {
			code = tjs.engine.deserialize(await payload(fh, BYTECODE));
		} catch {
			// Not loadable by this build: the source is.
		}
	}
	code ??= tjs.engine.compile(await payload(fh, SOURCE), 'ha-router.js');
} finally {
	await fh.close();
}
await tjs.engine.evalBytecode(code);
`;

/** Where '*' '/' occurs in `bytes`: the offsets just after each, where '/*' goes in. */
function cutsOf(bytes) {
	const cuts = [];
	for (let i = bytes.indexOf(0x2a); i >= 0 && i + 1 < bytes.length; i = bytes.indexOf(0x2a, i + 1)) if (bytes[i + 1] === 0x2f) cuts.push(i + 2);
	return cuts;
}

function commented(bytes, cuts) {
	const parts = [Buffer.from('/*')];
	let at = 0;
	for (const cut of cuts) {
		parts.push(bytes.subarray(at, cut), Buffer.from('/*'));
		at = cut;
	}
	parts.push(bytes.subarray(at), Buffer.from('*/\n'));
	return Buffer.concat(parts);
}

/** The file: `header` lines (the shebang first), the loader, the bytecode and the source. */
export function bytecodeBundle({ header, source, bytecode, quickjs }) {
	const src = Buffer.from(source);
	const payloads = [Buffer.from(bytecode), src].map((bytes) => ({ bytes, cuts: cutsOf(bytes) }));
	const head = (offsets) =>
		Buffer.from(
			`${header}\nconst QUICKJS = ${JSON.stringify(quickjs)};\n` +
				payloads.map((p, i) => `const ${['BYTECODE', 'SOURCE'][i]} = [${offsets[i]}, ${p.bytes.length}, ${JSON.stringify(p.cuts)}];\n`).join('') +
				LOADER,
		);
	// The offsets are written with a fixed width, so the header's length does not depend on them.
	const width = (n) => String(n).padStart(10);
	const start = head(['0', '0'].map(width)).length;
	const bodies = payloads.map((p) => commented(p.bytes, p.cuts));
	const offsets = [start + 2, start + bodies[0].length + 2].map(width);
	return Buffer.concat([head(offsets), ...bodies]);
}
