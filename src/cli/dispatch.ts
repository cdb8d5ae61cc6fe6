import type { Runtime } from '../runtime/runtime.ts';
import { ExitError } from '../errors.ts';
import { VERSION } from '../version.ts';
import type { Command } from './command.ts';

function helpText(commands: readonly Command[]): string {
	const width = Math.max(8, ...commands.map((c) => c.name.length));
	const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
	return [
		`ha-router ${VERSION}: active/standby router pairs for OpenWrt`,
		'',
		'Usage: ha-router <command> [options]',
		'',
		'Commands:',
		...lines,
		'',
		'  ha-router help <command>   options of one command',
		'  ha-router --version        print the version',
		'',
		'Exit codes: 0 success, 1 failure or invalid configuration, 2 usage error.',
		'',
	].join('\n');
}

/** argv -> exit code. The only place that turns exceptions into exit codes. */
/** Options that may stand before the command name (as in keepalived's notify line). */
const GLOBAL = ['--root', '--config'];

export async function dispatch(rt: Runtime, argv: readonly string[], commands: readonly Command[]): Promise<number> {
	// `ha-router --root R --config C notify ...` = `ha-router notify --root R --config C ...`.
	let lead = 0;
	while (GLOBAL.includes(argv[lead] ?? '') && lead + 1 < argv.length) lead += 2;
	const [name, ...tail] = argv.slice(lead);
	const rest = [...argv.slice(0, lead), ...tail];
	try {
		if (name === '--version' || name === 'version') {
			await rt.stdout(`ha-router ${VERSION}\n`);
			return 0;
		}
		if (name === undefined || name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
			await rt.stdout(helpText(commands));
			return 0;
		}
		if (name === 'help') {
			const cmd = commands.find((c) => c.name === rest[0]);
			if (!cmd) throw new ExitError(2, `ha-router: no command '${rest[0]}'; try 'ha-router --help'`);
			await rt.stdout(`${cmd.usage.trimEnd()}\n`);
			return 0;
		}
		const cmd = commands.find((c) => c.name === name);
		if (!cmd) throw new ExitError(2, `ha-router: unknown command '${name}'; try 'ha-router --help'`);
		if (rest.includes('--help') || rest.includes('-h')) {
			await rt.stdout(`${cmd.usage.trimEnd()}\n`);
			return 0;
		}
		return await cmd.run(rt, rest);
	} catch (e) {
		if (e instanceof ExitError) {
			if (e.message) await rt.stderr(`${e.message}\n`);
			return e.code;
		}
		const err = e instanceof Error ? e : new Error(String(e));
		// The system refused (a read-only or full file system, a missing directory): a sentence, not a bug report.
		const code = (err as { code?: unknown }).code;
		if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) {
			await rt.stderr(`ha-router ${name} stopped: the system refused an operation (${err.message.split("\n")[0]})\n`);
			await rt.syslog('err', `${name}: ${err.message.split('\n')[0]}`);
			return 1;
		}
		await rt.stderr(`ha-router: internal error: ${err.message}\n${err.stack ?? ''}\nPlease report this with the command you ran.\n`);
		await rt.syslog('err', `internal error in '${name}': ${err.message}`);
		return 1;
	}
}
