// Where execvp would find a program: an absolute or relative path as given, else the first
// executable regular file of that name in PATH. Shared by the tjs seam and findProgram.

export const DEFAULT_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/** What a stat says about a path, or null if there is nothing there. */
export type StatMode = (path: string) => Promise<{ isFile: boolean; mode: number } | null>;

export const isExecutable = (st: { isFile: boolean; mode: number } | null): boolean => st !== null && st.isFile && (st.mode & 0o111) !== 0;

export async function findExecutable(name: string, path: string, stat: StatMode): Promise<string | null> {
	if (name === '') return null;
	const candidates = name.includes('/') ? [name] : path.split(':').map((d) => `${d || '.'}/${name}`);
	for (const p of candidates) if (isExecutable(await stat(p).catch(() => null))) return p;
	return null;
}
