import type { Runtime } from '../runtime/runtime.ts';

/** One CLI command: `run` returns the exit code (0 ok, 1 failed, 2 usage). */
export interface Command {
	name: string;
	/** One line for `ha-router --help`. */
	summary: string;
	/** Shown by `ha-router help <name>` and on usage errors. */
	usage: string;
	run(rt: Runtime, args: string[]): Promise<number>;
}
