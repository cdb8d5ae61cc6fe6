// Processes of a mini OpenWrt run inside its node's namespace, with the small environment procd
// and rpcd give their children (no test-runner variables leak in).
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';

export const BASE_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C' } as const;

export function spawnIn(ns: string, argv: readonly string[], opts: { env?: Record<string, string>; stdio?: StdioOptions } = {}): ChildProcess {
	return spawn('ip', ['netns', 'exec', ns, ...argv], { env: { ...BASE_ENV, ...opts.env }, stdio: opts.stdio ?? 'ignore' });
}

/** Runs to completion inside the namespace, killed after timeoutMs; resolves with the exit code (null if killed). */
export function runIn(ns: string, argv: readonly string[], opts: { env?: Record<string, string>; timeoutMs?: number; stdio?: StdioOptions } = {}): Promise<number | null> {
	return new Promise((resolve) => {
		const p = spawnIn(ns, argv, opts);
		const t = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
		p.on('error', () => {
			clearTimeout(t);
			resolve(null);
		});
		p.on('close', (code) => {
			clearTimeout(t);
			resolve(code);
		});
	});
}
