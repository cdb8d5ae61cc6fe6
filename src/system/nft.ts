// nftables: a whole ruleset document goes to one `nft -f -`, one kernel transaction; `nft -c`
// checks it without touching the kernel (STYLE.md rule 8).

import type { Runtime } from '../runtime/runtime.ts';
import { SystemError } from '../errors.ts';
import { firstLine, run } from './run.ts';

export interface NftOptions {
	readonly program?: string;
	readonly timeoutMs?: number;
}

/** Loads `script` atomically; throws a SystemError carrying nft's error lines. */
export async function nftApply(rt: Runtime, script: string, opts: NftOptions = {}): Promise<void> {
	await run(rt, [opts.program ?? 'nft', '-f', '-'], { input: script, timeoutMs: opts.timeoutMs ?? 15_000 });
}

/** Parses and checks `script` against the kernel without committing it. */
export async function nftCheck(rt: Runtime, script: string, opts: NftOptions = {}): Promise<void> {
	await run(rt, [opts.program ?? 'nft', '-c', '-f', '-'], { input: script, timeoutMs: opts.timeoutMs ?? 15_000 });
}

/** The table as nft prints it, or null when it does not exist. */
export async function nftListTable(rt: Runtime, family: string, table: string, opts: NftOptions = {}): Promise<string | null> {
	const r = await run(rt, [opts.program ?? 'nft', 'list', 'table', family, table], { okCodes: [0, 1], timeoutMs: opts.timeoutMs ?? 15_000 });
	if (r.code === 0) return r.stdout;
	if (/No such file or directory/.test(r.stderr)) return null;
	throw new SystemError('nft', `list table ${family} ${table}: ${firstLine(r.stderr)}`, r.code, r.stderr);
}

/** Deletes a table; a table that does not exist is fine (false). */
export async function nftDeleteTable(rt: Runtime, family: string, table: string, opts: NftOptions = {}): Promise<boolean> {
	return (await run(rt, [opts.program ?? 'nft', 'delete', 'table', family, table], { okCodes: [0, 1], timeoutMs: opts.timeoutMs ?? 15_000 })).code === 0;
}
