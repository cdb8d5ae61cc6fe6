// ha-router check [--json] [--config DIR]: validate /etc/config/ha-router against
// /etc/config/network and print every problem. Writes nothing.

import { UciEditError, applyUciEdits } from '../config/apply-uci-edits.ts';
import { formatIssue, issueJson, makeIssue } from '../config/issues.ts';
import { type LoadedConfig, loadConfig } from '../config/load-config.ts';
import { UsageError } from '../errors.ts';
import type { Paths } from '../model/paths.ts';
import type { Issue, Model } from '../model/types.ts';
import { renderConntrackd } from '../render/conntrackd.ts';
import { renderKeepalived } from '../render/keepalived.ts';
import { renderNetworkEdits } from '../render/network.ts';
import { renderNft } from '../render/nft.ts';
import { RenderError } from '../render/text.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { parseArgs } from './args.ts';
import type { Command } from './command.ts';
import { nodePaths } from './context.ts';

const USAGE = `Usage: ha-router check [--json] [--config DIR] [--root DIR]

Validates DIR/ha-router (and the interfaces it uses in DIR/network) and prints
every error and warning, one per line: file:line: section option: problem [CODE].

  --json        print {"valid", "errors", "warnings"} as JSON instead
  --config DIR  UCI directory to read (default /etc/config, or ROOT/etc/config)
  --root DIR    staging root the config directory is under

Exit codes: 0 valid (warnings allowed), 1 invalid, 2 usage error.
`;

export const check: Command = {
	name: 'check',
	summary: 'validate the configuration and print every problem',
	usage: USAGE,
	async run(rt: Runtime, argv: string[]): Promise<number> {
		const args = parseArgs('check', argv, ['json'], ['config', 'root']);
		if (args.positional.length > 0) throw new UsageError(`check: unexpected argument '${args.positional[0]}'`);
		const paths = nodePaths(rt, args);
		const loaded = await loadConfig(rt, paths.configDir);
		const model = loaded.model;
		const issues = model ? [...loaded.issues, ...renderRefusals(model, paths, loaded)] : loaded.issues;
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
 * Renders what apply would, so a refusal the validation rules missed (a network file line apply
 * cannot edit, a path keepalived.conf cannot quote) is reported here and not halfway through apply.
 */
function renderRefusals(model: Model, paths: Paths, loaded: LoadedConfig): Issue[] {
	const at = (file: string) => ({ file, line: 0, section: '' });
	try {
		renderKeepalived(model, paths);
		renderConntrackd(model, paths, { conntrackMax: 65536 });
		renderNft(model, { wanAddress: null });
	} catch (e) {
		if (!(e instanceof RenderError)) throw e;
		return [makeIssue('error', 'RENDER_REFUSED', at(loaded.paths.haRouter), `apply cannot render this configuration: ${e.message}`)];
	}
	try {
		applyUciEdits(loaded.texts.network ?? '', '', renderNetworkEdits(model).edits);
	} catch (e) {
		if (!(e instanceof UciEditError)) throw e;
		return [makeIssue('error', 'NETWORK_EDIT_REFUSED', at(loaded.paths.network), `apply cannot edit this file: ${e.message.replace(/^: /, '')}`)];
	}
	return [];
}
