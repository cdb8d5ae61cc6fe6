// Finds an executable in PATH (or checks a path), as execvp would.

import type { Runtime } from '../runtime/runtime.ts';
import { DEFAULT_PATH, findExecutable } from '../runtime/find-executable.ts';

export function findProgram(rt: Runtime, name: string): Promise<string | null> {
	return findExecutable(name, rt.env('PATH') ?? DEFAULT_PATH, (p) => rt.stat(p));
}
