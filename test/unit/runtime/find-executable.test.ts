// The lookup Runtime.spawn and findProgram share: execvp's PATH search, executable files only.
import { describe, expect, it } from 'vitest';
import { findExecutable, type StatMode } from '../../../src/runtime/find-executable.ts';

const tree: Record<string, { isFile: boolean; mode: number }> = {
	'/sbin/ip': { isFile: true, mode: 0o755 },
	'/usr/sbin/ip': { isFile: true, mode: 0o755 },
	'/usr/bin/notes': { isFile: true, mode: 0o644 },
	'/bin/notes': { isFile: true, mode: 0o700 },
	'/usr/bin/dir': { isFile: false, mode: 0o755 },
	'./local': { isFile: true, mode: 0o755 },
};
const stat: StatMode = async (p) => {
	if (p === '/denied/ip') throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
	return tree[p] ?? null;
};

describe('findExecutable', () => {
	it('takes the first PATH entry that holds an executable file', async () => {
		expect(await findExecutable('ip', '/denied:/usr/sbin:/sbin', stat)).toBe('/usr/sbin/ip');
		expect(await findExecutable('notes', '/usr/bin:/bin', stat)).toBe('/bin/notes');
	});
	it('finds nothing for a missing name, a directory, or an empty name', async () => {
		expect(await findExecutable('nope', '/usr/sbin:/sbin', stat)).toBeNull();
		expect(await findExecutable('dir', '/usr/bin', stat)).toBeNull();
		expect(await findExecutable('', '/usr/bin', stat)).toBeNull();
	});
	it('checks a path as given, and reads an empty PATH entry as the current directory', async () => {
		expect(await findExecutable('/sbin/ip', '/usr/bin', stat)).toBe('/sbin/ip');
		expect(await findExecutable('/usr/bin/notes', '/usr/bin', stat)).toBeNull();
		expect(await findExecutable('local', '/usr/bin::/bin', stat)).toBe('./local');
	});
});
