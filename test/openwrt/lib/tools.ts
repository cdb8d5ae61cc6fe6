// The stand-in's command-line tools (tools/*.ts: ubus, uci, fw4) bundled once per test process
// for Node, which runs them from the shell side of a mini OpenWrt.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';

export const TOOL_NAMES = ['ubus', 'uci', 'fw4'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

let built: Promise<Record<ToolName, string>> | undefined;

/** Paths of the bundled tools (.mjs), built on first use. */
export function tools(): Promise<Record<ToolName, string>> {
	built ??= (async () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'mini-openwrt-tools-'));
		const out = {} as Record<ToolName, string>;
		for (const name of TOOL_NAMES) {
			out[name] = path.join(dir, `${name}.mjs`);
			await build({
				entryPoints: [path.join(import.meta.dirname, '../tools', `${name}.ts`)],
				bundle: true,
				format: 'esm',
				platform: 'node',
				target: 'node20',
				outfile: out[name],
				logLevel: 'error',
			});
		}
		return out;
	})();
	return built;
}
