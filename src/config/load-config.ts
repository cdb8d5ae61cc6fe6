// The one effectful piece of src/config: read ha-router and network from a config directory and
// build the Model. A missing file becomes an issue, not an exception.

import type { Runtime } from '../runtime/runtime.ts';
import { decodeUtf8 } from '../util/utf8.ts';
import { type BuildResult, type ConfigFile, type ConfigFiles, buildModel } from './build-model.ts';

export interface LoadedConfig extends BuildResult {
	readonly paths: { readonly haRouter: string; readonly network: string };
	/** The texts as read (null if missing), so apply can edit the network file it validated. */
	readonly texts: { readonly haRouter: string | null; readonly network: string | null };
}

async function readConfigFile(rt: Runtime, path: string): Promise<ConfigFile> {
	try {
		const bytes = await rt.readFile(path);
		return { path, text: bytes === null ? null : decodeUtf8(bytes) };
	} catch (e) {
		// A directory or an unreadable file is a problem to report, not a crash.
		return { path, text: null, error: e instanceof Error ? e.message : String(e) };
	}
}

/** The two files a Model is built from, as read now. */
export async function readConfigFiles(rt: Runtime, configDir: string, haRouterText?: string): Promise<ConfigFiles> {
	const dir = configDir.replace(/\/+$/, '') || '/';
	const haRouterPath = `${dir}/ha-router`;
	const haRouter = haRouterText === undefined ? await readConfigFile(rt, haRouterPath) : { path: haRouterPath, text: haRouterText };
	return { haRouter, network: await readConfigFile(rt, `${dir}/network`) };
}

/** `haRouterText` stands in for the file's content (LuCI checks a form before saving it); positions still name the file. */
export async function loadConfig(rt: Runtime, configDir: string, haRouterText?: string): Promise<LoadedConfig> {
	const files = await readConfigFiles(rt, configDir, haRouterText);
	const result = buildModel(files);
	return { ...result, paths: { haRouter: files.haRouter.path, network: files.network.path }, texts: { haRouter: files.haRouter.text, network: files.network.text } };
}
