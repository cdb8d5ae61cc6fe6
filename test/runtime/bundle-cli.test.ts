// The built bundle on real tjs: what a router would run.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLE, runBundle, runTjs } from '../support/tjs.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

describe('bundle', () => {
	it('starts with the absolute tjs shebang and is executable', () => {
		expect(readFileSync(BUNDLE, 'utf8').split('\n', 1)[0]).toBe('#!/usr/bin/tjs run');
		expect(statSync(BUNDLE).mode & 0o111).toBe(0o111);
	});
	it('contains no Node module or global', () => {
		const code = readFileSync(BUNDLE, 'utf8');
		expect(code).not.toMatch(/["']node:/);
		expect(code).not.toMatch(/(^|[^.\w$])(process|Buffer)\./);
		expect(code).not.toMatch(/(^|[^.\w$])require\(/);
	});
	// The shipped file with one payload blanked out: the other one must run it alone.
	function withBlanked(payload: 'SOURCE' | 'BYTECODE') {
		const file = readFileSync(BUNDLE);
		const [, offset, length] = new RegExp(`^const ${payload} = \\[ *(\\d+), (\\d+),`, 'm').exec(file.subarray(0, 2000).toString('latin1'))!.map(Number);
		file.fill(0x20, offset, offset! + length!);
		const dir = mkdtempSync(path.join(os.tmpdir(), 'ha-bundle-'));
		try {
			writeFileSync(path.join(dir, 'ha-router.js'), file);
			return runTjs(path.join(dir, 'ha-router.js'), ['--version']);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	}
	it('runs from its bytecode on this tjs: with its source blanked out it still works', () => {
		expect(withBlanked('SOURCE')).toMatchObject({ code: 0, stdout: `ha-router ${pkg.version}\n` });
	});
	it('runs from its source where the bytecode does not load: with the bytecode blanked out it still works', () => {
		expect(withBlanked('BYTECODE')).toMatchObject({ code: 0, stdout: `ha-router ${pkg.version}\n`, stderr: '' });
	});
	it('prints its version', () => {
		const r = runBundle(['--version']);
		expect(r).toMatchObject({ code: 0, stdout: `ha-router ${pkg.version}\n`, stderr: '' });
	});
	it('prints help listing commands and exit codes', () => {
		const r = runBundle(['--help']);
		expect(r.code).toBe(0);
		expect(r.stdout).toMatch(/^Usage: ha-router <command>/m);
		expect(r.stdout).toMatch(/Exit codes: 0 success, 1 failure/);
	});
	it('exits 2 with a one-line hint on an unknown command', () => {
		const r = runBundle(['frobnicate']);
		expect(r.code).toBe(2);
		expect(r.stdout).toBe('');
		expect(r.stderr).toBe("ha-router: unknown command 'frobnicate'; try 'ha-router --help'\n");
	});
});
