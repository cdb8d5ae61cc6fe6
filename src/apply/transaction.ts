// Apply as a transaction over already-rendered files: compare with disk, check with the real
// tools, write atomically, reload what changed; on any failure put every file back and reload
// again. Identical files mean no write and no reload at all.
import { brokenLinkError } from '../runtime/broken-link.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { decodeUtf8 } from '../util/utf8.ts';
import { RELOADS, type Reload, type Target } from './targets.ts';

export interface ApplySystem {
	/** Checks a target's new content before anything is written; throws with the tool's message. */
	check(target: Target): Promise<void>;
	reload(what: Reload): Promise<void>;
}

export interface FileChange {
	readonly path: string;
	readonly before: string | null;
	readonly after: string | null;
	readonly mode: number;
	readonly reload: Reload | null;
}

export interface ApplyResult {
	readonly changes: readonly FileChange[];
	readonly reloaded: readonly Reload[];
}

/** A failed step, after every file was restored. */
export class ApplyFailed extends Error {
	constructor(
		readonly step: string,
		readonly cause: unknown,
		readonly restoreErrors: readonly string[],
		/** False when it failed before writing anything. */
		readonly wrote: boolean,
	) {
		super(`${step}: ${cause instanceof Error ? cause.message : String(cause)}`);
	}
}

function dirOf(path: string): string {
	return path.slice(0, path.lastIndexOf('/')) || '/';
}

/** A link to nothing cannot be written through (uci commit refuses it too): say so before writing anything. */
async function refuseDanglingLink(rt: Runtime, path: string): Promise<void> {
	if (!(await rt.lstat(path))?.isSymlink) return;
	throw brokenLinkError(path, await rt.readLink(path), 'ENOENT')!;
}

/** Compares the targets with the disk; pure apart from reading. Text keeps bytes that are not UTF-8. */
export async function diffTargets(rt: Runtime, targets: readonly Target[]): Promise<FileChange[]> {
	const changes: FileChange[] = [];
	for (const t of targets) {
		const raw = await rt.readFile(t.path);
		if (raw === null) await refuseDanglingLink(rt, t.path);
		const before = raw === null ? null : decodeUtf8(raw);
		const st = raw === null ? null : await rt.stat(t.path);
		const modeDiffers = t.content !== null && st !== null && st.mode !== t.mode;
		if (before !== t.content || modeDiffers) changes.push({ path: t.path, before, after: t.content, mode: t.mode, reload: t.reload });
	}
	return changes;
}

async function put(rt: Runtime, path: string, content: string | null, mode: number): Promise<void> {
	if (content === null) {
		await rt.remove(path);
		return;
	}
	await rt.makeDir(dirOf(path));
	await rt.writeFileAtomic(path, content, mode);
}

export async function applyChanges(rt: Runtime, changes: readonly FileChange[], sys: ApplySystem, backupDir: string | null): Promise<ApplyResult> {
	if (changes.length === 0) return { changes, reloaded: [] };
	let step = 'check';
	try {
		for (const c of changes) {
			step = `check ${c.path}`;
			if (c.after !== null) await sys.check({ path: c.path, content: c.after, mode: c.mode, reload: c.reload });
		}
	} catch (e) {
		throw new ApplyFailed(step, e, [], false);
	}

	const written: FileChange[] = [];
	const reloaded: Reload[] = [];
	try {
		for (const c of changes) {
			if (backupDir && c.before !== null) {
				step = `keep previous ${c.path}`;
				await put(rt, `${backupDir}${c.path}`, c.before, 0o600);
			}
			step = `write ${c.path}`;
			written.push(c);
			await put(rt, c.path, c.after, c.mode);
		}
		for (const r of RELOADS) {
			if (!changes.some((c) => c.reload === r)) continue;
			step = `reload ${r}`;
			reloaded.push(r);
			await sys.reload(r);
		}
		return { changes, reloaded };
	} catch (e) {
		const restoreErrors: string[] = [];
		for (const c of written.reverse()) {
			try {
				await put(rt, c.path, c.before, c.mode);
			} catch (re) {
				restoreErrors.push(`restore ${c.path}: ${re instanceof Error ? re.message : String(re)}`);
			}
		}
		// Whatever reloaded the new files reloads the old ones again.
		for (const r of reloaded) {
			try {
				await sys.reload(r);
			} catch (re) {
				restoreErrors.push(`reload ${r}: ${re instanceof Error ? re.message : String(re)}`);
			}
		}
		throw new ApplyFailed(step, e, restoreErrors, written.length > 0);
	}
}
