// A lock file created with O_EXCL holding its owner's token "<pid> <nonce>". A lock whose
// owner process is gone is stale and taken over, so a crashed hook never blocks the next one.
import type { Runtime } from '../runtime/runtime.ts';
import { decodeUtf8 } from '../util/utf8.ts';

let nonce = 0;

/** 'gone' when the lock vanished meanwhile: retry; never remove what another process just took. */
async function owner(rt: Runtime, path: string): Promise<'alive' | 'dead' | 'gone'> {
	const raw = await rt.readFile(path);
	if (!raw) return 'gone';
	if (raw.length === 0) {
		// Created but its token not written yet, unless its creator died right there.
		const st = await rt.stat(path);
		return st && rt.wallClock() - st.mtimeMs > 2000 ? 'dead' : 'alive';
	}
	const pid = Number(decodeUtf8(raw).split(' ')[0]);
	if (!Number.isInteger(pid) || pid <= 0) return 'dead';
	return pid === rt.pid || (await rt.stat(`/proc/${pid}`)) !== null ? 'alive' : 'dead';
}

/** Takes the lock if free (or stale); returns its release function, or null if held. */
export async function tryLock(rt: Runtime, path: string): Promise<(() => Promise<void>) | null> {
	const token = `${rt.pid} ${++nonce}`;
	for (let attempt = 0; attempt < 3; attempt++) {
		if (await rt.createExclusive(path, token, 0o644)) {
			return async () => {
				const raw = await rt.readFile(path);
				if (raw && decodeUtf8(raw) === token) await rt.remove(path);
			};
		}
		const who = await owner(rt, path);
		if (who === 'alive') return null;
		// Only a crashed owner's lock is removed.
		if (who === 'dead') await rt.remove(path);
	}
	return null;
}

/** Waits (polling every few ms, bounded) for the lock, runs fn, releases. */
export async function withLock<T>(rt: Runtime, path: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
	const deadline = rt.now() + timeoutMs;
	for (;;) {
		const release = await tryLock(rt, path);
		if (release) {
			try {
				return await fn();
			} finally {
				await release();
			}
		}
		if (rt.now() > deadline) throw new Error(`lock ${path} still held after ${timeoutMs} ms`);
		await rt.sleep(2);
	}
}
