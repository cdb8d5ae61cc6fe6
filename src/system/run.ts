// Runs a program with an argument array and a timeout, turning every failure into a SystemError.

import { SystemError } from '../errors.ts';
import type { Runtime, SpawnResult } from '../runtime/runtime.ts';

export interface RunOptions {
	readonly timeoutMs?: number;
	readonly input?: string;
	readonly env?: Record<string, string>;
	/** Exit codes that are not failures (default: only 0). */
	readonly okCodes?: readonly number[];
}

export const DEFAULT_RUN_TIMEOUT_MS = 10_000;

const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

/** The first non-empty line of a program's complaint, for one-line messages. */
export function firstLine(text: string): string {
	return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}

export async function run(rt: Runtime, argv: readonly string[], opts: RunOptions = {}): Promise<SpawnResult> {
	const program = base(argv[0] ?? '?');
	const timeoutMs = opts.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
	let r: SpawnResult;
	try {
		r = await rt.spawn(argv, { timeoutMs, ...(opts.input === undefined ? {} : { input: opts.input }), ...(opts.env ? { env: opts.env } : {}) });
	} catch (e) {
		const code = (e as { code?: string }).code;
		throw new SystemError(program, code === 'ENOENT' ? `not found (${argv[0]})` : `cannot run: ${(e as Error).message}`);
	}
	if (r.timedOut) throw new SystemError(program, `timed out after ${timeoutMs} ms: ${argv.join(' ')}`, null, r.stderr);
	if (r.code === null) throw new SystemError(program, `killed by ${r.signal}: ${argv.join(' ')}`, null, r.stderr);
	if (!(opts.okCodes ?? [0]).includes(r.code)) {
		const why = firstLine(r.stderr) || firstLine(r.stdout) || `exit ${r.code}`;
		throw new SystemError(program, `${argv.slice(1).join(' ')}: ${why}`, r.code, r.stderr);
	}
	return r;
}
