// The last valid Model, kept beside the texts it was built from (/var/run/ha-router/model.json).
// Parsing and checking the configuration is most of what a hook does besides its plan, and it grows
// with /etc/config/network; the texts themselves are cheap to read. So a command that needs the
// Model reads the two files, and when they are the very texts of the cache (and this build made
// it) takes the cached Model instead of building it again. Any difference, a missing or broken
// cache, or another build: the Model is built from the files as before. A pure cache: what a
// command does never depends on whether it was used.
import type { ConfigFiles } from '../config/build-model.ts';
import { deepFreeze } from '../config/deep-freeze.ts';
import type { Paths } from '../model/paths.ts';
import type { Model } from '../model/types.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { BUILD, VERSION } from '../version.ts';
import { readJson } from './read-json.ts';

interface ModelCache {
	readonly build: string;
	readonly haRouter: string;
	readonly network: string;
	readonly model: Model;
}

export const modelCachePath = (paths: Paths): string => `${paths.runDir}/model.json`;

const buildId = `${VERSION}+${BUILD}`;

/** The cached Model when `files` are exactly the texts it was built from, else null. */
export async function cachedModel(rt: Runtime, paths: Paths, files: ConfigFiles): Promise<Model | null> {
	if (files.haRouter.text === null || files.network.text === null) return null;
	const c = await readJson<ModelCache>(rt, modelCachePath(paths)).catch(() => null);
	if (!c || c.build !== buildId || c.haRouter !== files.haRouter.text || c.network !== files.network.text) return null;
	return typeof c.model === 'object' && c.model !== null ? deepFreeze(c.model) : null;
}

/** Keeps a Model just built for the next command. 0600: the texts and the Model carry secrets. Best effort. */
export async function saveModel(rt: Runtime, paths: Paths, files: ConfigFiles, model: Model): Promise<void> {
	if (files.haRouter.text === null || files.network.text === null) return;
	const c: ModelCache = { build: buildId, haRouter: files.haRouter.text, network: files.network.text, model };
	await rt.writeFileAtomic(modelCachePath(paths), JSON.stringify(c), 0o600, false).catch(() => undefined);
}
