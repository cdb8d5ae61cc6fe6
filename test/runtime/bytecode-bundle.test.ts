// The shipped file's loader (scripts/bytecode-bundle.mjs) on real tjs: it runs the bytecode when
// this tjs made it, and the source when the QuickJS differs or the bytecode does not load. Both
// payloads contain '*/', which must not end their comment.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bytecodeBundle, compileBytecode } from '../../scripts/bytecode-bundle.mjs';
import { runTjs, TJS } from '../support/tjs.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ha-bytecode-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const module = (from: string) => `await new Promise((r) => setTimeout(r, 1));\nconsole.log(${JSON.stringify(`from ${from} */ /* ü`)}, tjs.args.slice(3).join(' '));\ntjs.exit(3);\n`;
const compiled = compileBytecode(TJS, module('bytecode'));

function run(name: string, parts: { source: string; bytecode: Uint8Array; quickjs: string }) {
	const file = path.join(dir, name);
	writeFileSync(file, bytecodeBundle({ header: '#!/usr/bin/tjs run', ...parts }), { mode: 0o755 });
	return runTjs(file, ['a', 'b']);
}

describe('a bytecode bundle on tjs', () => {
	it('runs the bytecode made by this tjs, with top-level await, arguments and exit code', () => {
		const r = run('fast.js', { source: 'throw new Error("the source was compiled")', bytecode: compiled.bytecode, quickjs: compiled.quickjs });
		expect(r).toEqual({ code: 3, stdout: 'from bytecode */ /* ü a b\n', stderr: '' });
	});
	it('compiles the source under another QuickJS', () => {
		const r = run('other.js', { source: module('source'), bytecode: compiled.bytecode, quickjs: '0.0.0-other' });
		expect(r).toEqual({ code: 3, stdout: 'from source */ /* ü a b\n', stderr: '' });
	});
	it('compiles the source when the bytecode does not load', () => {
		const r = run('broken.js', { source: module('source'), bytecode: Buffer.from('not bytecode */ at all'), quickjs: compiled.quickjs });
		expect(r).toEqual({ code: 3, stdout: 'from source */ /* ü a b\n', stderr: '' });
	});
});
