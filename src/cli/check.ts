// ha-router check [--json] [--config DIR]: validate /etc/config/ha-router against
// /etc/config/network and print every problem. Writes nothing.

import { UciEditError } from '../config/apply-uci-edits.ts';
import { formatIssue, issueJson, makeIssue } from '../config/issues.ts';
import { type LoadedConfig, loadConfig } from '../config/load-config.ts';
import { UsageError } from '../errors.ts';
import type { Paths } from '../model/paths.ts';
import type { Issue, Model } from '../model/types.ts';
import { renderTargets } from '../apply/targets.ts';
import { readUciTexts } from '../apply/uci-texts.ts';
import { parseUci } from '../config/uci-parse.ts';
import { UciSyntaxError } from '../config/uci-types.ts';
import { RenderError } from '../render/text.ts';
import { platformFor } from '../system/create-platform.ts';
import type { PlatformName } from '../system/platform.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { parseArgs } from './args.ts';
import type { Command } from './command.ts';
import { nodePaths } from './context.ts';
import { parseUbusArgs } from './ubus-args.ts';

const USAGE = `Usage: ha-router check [--json] [--config DIR] [--root DIR]

Validates DIR/ha-router (and the interfaces it uses in DIR/network) and prints
every error and warning, one per line: file:line: section option: problem [CODE].

  --json        print {"valid", "errors", "warnings"} as JSON instead
  --ubus-args J the rpcd plugin's arguments: {"config": TEXT} checks TEXT as if it were
                DIR/ha-router (LuCI checks its form before saving); {} checks the file
  --config DIR  UCI directory to read (default /etc/config, or ROOT/etc/config)
  --root DIR    staging root the config directory is under

Exit codes: 0 valid (warnings allowed), 1 invalid, 2 usage error.
`;

export const check: Command = {
	name: 'check',
	summary: 'validate the configuration and print every problem',
	usage: USAGE,
	async run(rt: Runtime, argv: string[]): Promise<number> {
		const args = parseArgs('check', argv, ['json'], ['config', 'root', 'ubus-args']);
		if (args.positional.length > 0) throw new UsageError(`check: unexpected argument '${args.positional[0]}'`);
		const paths = nodePaths(rt, args);
		const text = args.values.has('ubus-args') ? parseUbusArgs('check', args.values.get('ubus-args')!, { config: 'string' })['config'] : undefined;
		const loaded = await loadConfig(rt, paths.configDir, text as string | undefined);
		const model = loaded.model;
		const platform = model ? await platformFor(rt, model.node.platform, paths) : 'linux';
		const issues = model
			? [...loaded.issues, ...(await renderRefusals(rt, model, paths, loaded, platform)), ...(platform === 'openwrt' ? await absentServices(rt, model, paths, loaded) : [])]
			: loaded.issues;
		const errors = issues.filter((i) => i.severity === 'error');
		const warnings = issues.filter((i) => i.severity === 'warning');
		const valid = errors.length === 0 && model !== null;
		if (args.flags.has('json')) {
			await rt.stdout(`${JSON.stringify({ valid, errors: errors.map(issueJson), warnings: warnings.map(issueJson) }, null, 2)}\n`);
		} else {
			const lines = issues.map((i) => `${formatIssue(i)}\n`).join('');
			if (lines) await rt.stdout(lines);
			const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
			const summary = valid ? `configuration is valid (${count(warnings.length, 'warning')})` : `configuration is invalid: ${count(errors.length, 'error')}, ${count(warnings.length, 'warning')}`;
			if (valid) await rt.stdout(`ha-router check: ${summary}\n`);
			else await rt.stderr(`ha-router check: ${summary}\n`);
		}
		return valid ? 0 : 1;
	},
};

/**
 * Renders every file apply would (its own and its edits of network, keepalived and firewall), so a
 * refusal the validation rules missed (a network line apply cannot edit, a path keepalived.conf
 * cannot quote, a user section named like ours) is reported here and not halfway through apply.
 */
async function renderRefusals(rt: Runtime, model: Model, paths: Paths, loaded: LoadedConfig, platform: PlatformName): Promise<Issue[]> {
	try {
		renderTargets(model, paths, { platform, conntrackMax: 65536, ...(await readUciTexts(rt, paths.configDir, loaded.texts.network, 'absent')) });
	} catch (e) {
		if (e instanceof RenderError) return [makeIssue('error', 'RENDER_REFUSED', { file: loaded.paths.haRouter, line: 0, section: '' }, `apply cannot render this configuration: ${e.message}`)];
		if (e instanceof UciEditError || e instanceof UciSyntaxError) {
			const at = { file: e.file, line: e instanceof UciSyntaxError ? e.line : 0, section: '' };
			return [makeIssue('error', 'UCI_EDIT_REFUSED', at, `apply cannot edit this file: ${e.message.slice(e.file.length).replace(/^:\s*/, '')}`)];
		}
		throw e;
	}
	return [];
}

/** Role services this router has no init script for (a stock image has no miniupnpd): transitions skip them. */
async function absentServices(rt: Runtime, model: Model, paths: Paths, loaded: LoadedConfig): Promise<Issue[]> {
	const pkg = loaded.texts.haRouter === null ? null : parseUci(loaded.texts.haRouter, loaded.paths.haRouter);
	const node = pkg?.sections.find((s) => s.type === 'node');
	const opt = node?.options.find((o) => o.name === 'service');
	const issues: Issue[] = [];
	for (const [i, name] of model.node.services.entries()) {
		if (await rt.stat(`${paths.root}/etc/init.d/${name}`)) continue;
		const st = opt && opt.values.length === model.node.services.length ? pkg!.statements[opt.statements[i] ?? opt.anchor] : undefined;
		const at = { file: loaded.paths.haRouter, line: st?.line ?? node?.line ?? 0, section: node?.id ?? 'node', type: 'node', option: 'service' };
		issues.push(makeIssue('warning', 'SERVICE_NOT_INSTALLED', at, `'${name}' has no init script (${paths.root}/etc/init.d/${name}): transitions skip it; install it or remove it from the list`, name));
	}
	return issues;
}
