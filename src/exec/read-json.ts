import type { Runtime } from '../runtime/runtime.ts';
import { decodeUtf8 } from '../util/utf8.ts';

/** A JSON file of ours under /var/run/ha-router; null when missing or unreadable (half-written, foreign). */
export async function readJson<T>(rt: Runtime, path: string): Promise<T | null> {
	const raw = await rt.readFile(path);
	if (!raw) return null;
	try {
		return JSON.parse(decodeUtf8(raw)) as T;
	} catch {
		return null;
	}
}
