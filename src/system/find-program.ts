// Finds an executable in PATH (or checks an absolute path), as execvp would.

import type { Runtime } from '../runtime/runtime.ts';

export async function findProgram(rt: Runtime, name: string): Promise<string | null> {
	const dirs = name.includes('/') ? [''] : (rt.env('PATH') ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':');
	for (const d of dirs) {
		const p = d ? `${d}/${name}` : name;
		const st = await rt.stat(p).catch(() => null);
		if (st?.isFile && (st.mode & 0o111) !== 0) return p;
	}
	return null;
}
