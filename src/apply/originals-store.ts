// /etc/ha-router/originals.json: the first value of everything apply changes outside its own
// files (src/apply/originals.ts), written before that change, read by `ha-router teardown`.
import type { Paths } from '../model/paths.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { decodeUtf8 } from '../util/utf8.ts';
import { NO_ORIGINALS, parseOriginals, type Originals } from './originals.ts';

/** The record, or null when there is none (or it cannot be read as one). */
export async function readOriginals(rt: Runtime, paths: Paths): Promise<Originals | null> {
	const raw = await rt.readFile(paths.originals);
	return parseOriginals(raw === null ? null : decodeUtf8(raw));
}

/** Adds to the record; writes only when something new was recorded. */
export async function rememberOriginals(rt: Runtime, paths: Paths, update: (o: Originals) => Originals): Promise<void> {
	const before = (await readOriginals(rt, paths)) ?? NO_ORIGINALS;
	const after = update(before);
	if (JSON.stringify(after) === JSON.stringify(before)) return;
	await rt.makeDir(paths.originals.slice(0, paths.originals.lastIndexOf('/')));
	await rt.writeFileAtomic(paths.originals, `${JSON.stringify(after, null, 1)}\n`, 0o600);
}
