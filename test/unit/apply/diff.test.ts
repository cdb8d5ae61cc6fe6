import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../../src/apply/diff.ts';

// The real `patch` must turn the old text into the new one with our diff.
function patched(oldText: string, diff: string): string {
	const dir = mkdtempSync(path.join(os.tmpdir(), 'hr-diff-'));
	try {
		writeFileSync(path.join(dir, 'f'), oldText);
		execFileSync('patch', ['-s', path.join(dir, 'f')], { input: diff });
		return readFileSync(path.join(dir, 'f'), 'utf8');
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

describe('unifiedDiff', () => {
	it('is empty for equal texts', () => {
		expect(unifiedDiff('a\n', 'a\n', 'x', 'y')).toBe('');
	});
	it('writes a hunk with three lines of context', () => {
		const a = 'l1\nl2\nl3\nl4\nl5\nl6\nl7\n';
		const b = 'l1\nl2\nl3\nl4 changed\nl5\nl6\nl7\n';
		expect(unifiedDiff(a, b, 'a/f', 'b/f')).toBe('--- a/f\n+++ b/f\n@@ -1,7 +1,7 @@\n l1\n l2\n l3\n-l4\n+l4 changed\n l5\n l6\n l7\n');
	});
	it('marks created and deleted files against /dev/null', () => {
		expect(unifiedDiff(null, 'x\n', 'a', 'b')).toBe('--- /dev/null\n+++ b\n@@ -0,0 +1,1 @@\n+x\n');
		expect(unifiedDiff('x\n', null, 'a', 'b')).toBe('--- a\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-x\n');
	});
	it('produces diffs that patch(1) applies exactly, over random edits', () => {
		let seed = 7;
		const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
		for (let round = 0; round < 60; round++) {
			const a = Array.from({ length: 5 + rand(60) }, (_, i) => `line ${i} ${rand(4)}`);
			const b = [...a];
			for (let e = 0; e < 1 + rand(6); e++) {
				const at = rand(b.length + 1);
				const kind = rand(3);
				if (kind === 0) b.splice(at, 0, `new ${round}.${e}`);
				else if (kind === 1 && b.length) b.splice(at % b.length, 1);
				else if (b.length) b[at % b.length] = `changed ${round}.${e}`;
			}
			const oldText = `${a.join('\n')}\n`;
			const newText = `${b.join('\n')}\n`;
			const d = unifiedDiff(oldText, newText, 'a', 'b');
			if (oldText === newText) expect(d).toBe('');
			else expect(patched(oldText, d)).toBe(newText);
		}
	});
});
