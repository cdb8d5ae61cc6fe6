// Running real programs for the testbed: argument arrays only, every call bounded in time.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunResult {
	code: number | null;
	stdout: string;
	stderr: string;
}

/** Runs a program to completion (bounded), returns its output. Throws on a non-zero exit unless `check` is false. */
export function run(cmd: string, args: readonly string[], opts: { check?: boolean; timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): RunResult {
	const r = spawnSync(cmd, args, {
		encoding: 'utf8',
		timeout: opts.timeoutMs ?? 15_000,
		input: opts.input,
		env: opts.env ?? process.env,
	});
	const res: RunResult = { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
	if (r.error) {
		if (opts.check === false) return { ...res, code: res.code ?? -1, stderr: `${res.stderr}${String(r.error)}` };
		throw new Error(`${cmd} ${args.join(' ')}: ${String(r.error)}`);
	}
	if (opts.check !== false && r.status !== 0) {
		throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${res.stderr.trim() || res.stdout.trim()}`);
	}
	return res;
}

/** `ip -n <ns> ...` */
export function ipn(ns: string, args: readonly string[], check = true): RunResult {
	return run('ip', ['-n', ns, ...args], { check });
}

/** Runs a program inside a namespace to completion. */
export function nsRun(ns: string, cmd: string, args: readonly string[], opts: Parameters<typeof run>[2] = {}): RunResult {
	return run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
}

/** Starts a long-running program inside a namespace; the caller owns the process (and must stop it). */
export function nsSpawn(ns: string, cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess {
	return spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
}

/** Polls `check` every `everyMs` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, everyMs = 50): Promise<T> {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const v = await check();
		if (v !== undefined && v !== false) return v;
		if (Date.now() >= end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await sleep(everyMs);
	}
}

/** Sends a signal to a pid, ignoring a process that is already gone. */
export function killPid(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
	try {
		process.kill(pid, signal);
	} catch {
		// already gone
	}
}

export function pidAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

export { sleep };

/** Like nsRun, without blocking the event loop (so several nodes can run at once). Never throws on exit codes. */
export function nsRunAsync(ns: string, cmd: string, args: readonly string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
	return new Promise((resolve) => {
		const p = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
		let stdout = '';
		let stderr = '';
		p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
		p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
		const t = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
		p.on('error', (e) => {
			clearTimeout(t);
			resolve({ code: -1, stdout, stderr: `${stderr}${String(e)}` });
		});
		p.on('close', (code) => {
			clearTimeout(t);
			resolve({ code, stdout, stderr });
		});
	});
}

/** A line of a test's report: stderr, beside vitest's output (numbers a test measured, for the notes). */
export function report(s: string): void {
	process.stderr.write(`${s}\n`);
}
