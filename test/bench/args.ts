// The benchmarks' command-line options: `--name value`.

/** The value after `--name`, or undefined when the option is not given. */
export function arg(name: string): string | undefined {
	const i = process.argv.indexOf(`--${name}`);
	return i >= 0 ? process.argv[i + 1] : undefined;
}

/** A number after `--name`, or `dflt` when the option is not given. */
export function numberArg(name: string, dflt: number): number {
	return process.argv.includes(`--${name}`) ? Number(arg(name)) : dflt;
}
