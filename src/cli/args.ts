import { UsageError } from '../errors.ts';

export interface ParsedArgs {
	flags: Set<string>;
	values: Map<string, string>;
	positional: string[];
}

/**
 * Parses `--flag`, `--name value` and `--name=value`. `valued` lists the options that take a
 * value; anything not in `flags` or `valued` is a usage error naming the command.
 */
export function parseArgs(command: string, argv: readonly string[], flags: readonly string[], valued: readonly string[]): ParsedArgs {
	const out: ParsedArgs = { flags: new Set(), values: new Map(), positional: [] };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i]!;
		if (a === '--') {
			out.positional.push(...argv.slice(i + 1));
			break;
		}
		if (!a.startsWith('--') || a === '-') {
			out.positional.push(a);
			continue;
		}
		const eq = a.indexOf('=');
		const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
		if (valued.includes(name)) {
			const value = eq < 0 ? argv[++i] : a.slice(eq + 1);
			if (value === undefined) throw new UsageError(`${command}: --${name} needs a value`);
			out.values.set(name, value);
		} else if (flags.includes(name) && eq < 0) {
			out.flags.add(name);
		} else {
			throw new UsageError(`${command}: unknown option --${name}`);
		}
	}
	return out;
}
