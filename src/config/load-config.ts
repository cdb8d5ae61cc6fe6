// The one effectful piece of src/config: read ha-router and network from a config directory and
// build the Model. A missing file becomes an issue, not an exception.

import type { Runtime } from '../runtime/runtime.ts';
import { decodeUtf8 } from '../util/utf8.ts';
import { type BuildResult, buildModel } from './build-model.ts';

export interface LoadedConfig extends BuildResult {
	readonly paths: { readonly haRouter: string; readonly network: string };
	/** The texts as read (null if missing), so apply can edit the network file it validated. */
	readonly texts: { readonly haRouter: string | null; readonly network: string | null };
}

export async function loadConfig(rt: Runtime, configDir: string): Promise<LoadedConfig> {
	const dir = configDir.replace(/\/+$/, '') || '/';
	const paths = { haRouter: `${dir}/ha-router`, network: `${dir}/network` };
	const read = async (p: string) => {
		const bytes = await rt.readFile(p);
		return bytes === null ? null : decodeUtf8(bytes);
	};
	const texts = { haRouter: await read(paths.haRouter), network: await read(paths.network) };
	const result = buildModel({ haRouter: { path: paths.haRouter, text: texts.haRouter }, network: { path: paths.network, text: texts.network } });
	return { ...result, paths, texts };
}
