// ha-router check [--json] [--config DIR]: validate /etc/config/ha-router against
// /etc/config/network and print every problem. Writes nothing.

import { formatIssue, issueJson } from '../config/issues.ts';
import { loadConfig } from '../config/load-config.ts';
import { UsageError } from '../errors.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { parseArgs } from './args.ts';
import type { Command } from './command.ts';

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
		const dir = args.values.get('config') ?? `${args.values.get('root') ?? ''}/etc/config`;
		const { issues, model } = await loadConfig(rt, dir);
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
