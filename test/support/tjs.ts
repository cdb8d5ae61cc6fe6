// Runs JavaScript on the real txiki.js 24.12 binary (obtained by scripts/get-tjs.sh).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const TJS = path.join(ROOT, '.cache/bin/tjs');
export const BUNDLE = path.join(ROOT, 'dist/ha-router.js');

export interface TjsResult {
	code: number | null;
	stdout: string;
	stderr: string;
}

export function runTjs(script: string, args: string[] = [], opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): TjsResult {
	if (!existsSync(TJS)) throw new Error(`${TJS} is missing: run 'sh scripts/get-tjs.sh' (make test does)`);
	const r = spawnSync(TJS, ['run', script, ...args], {
		input: opts.input,
		env: { ...process.env, ...opts.env },
		encoding: 'utf8',
		timeout: opts.timeoutMs ?? 30_000,
	});
	if (r.error) throw r.error;
	return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the built bundle, as the router would. */
export function runBundle(args: string[], opts: Parameters<typeof runTjs>[2] = {}): TjsResult {
	if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run 'make build'`);
	return runTjs(BUNDLE, args, opts);
}

/** Bundles a test entry point with the production build settings, for running on tjs. */
export async function bundleForTjs(entry: string, outfile: string): Promise<string> {
	await build({
		entryPoints: [entry],
		bundle: true,
		format: 'esm',
		platform: 'neutral',
		target: 'es2023',
		external: ['tjs:*'],
		outfile,
		logLevel: 'error',
	});
	return outfile;
}
