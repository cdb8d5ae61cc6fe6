// Pure: a unified diff of two texts (for `apply --dry-run`). Common head and tail are cut first,
// so the LCS table covers only the edited middle, which is small for config edits.

type Op = [' ' | '-' | '+', string];

function lines(text: string | null): string[] {
	if (!text) return [];
	const l = text.split('\n');
	if (l.at(-1) === '') l.pop();
	return l;
}

function ops(a: string[], b: string[]): Op[] {
	let head = 0;
	while (head < a.length && head < b.length && a[head] === b[head]) head++;
	let tail = 0;
	while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
	const x = a.slice(head, a.length - tail);
	const y = b.slice(head, b.length - tail);
	// lcs[i][j]: LCS length of x[i..] and y[j..].
	const lcs = Array.from({ length: x.length + 1 }, () => new Uint32Array(y.length + 1));
	for (let i = x.length - 1; i >= 0; i--) {
		for (let j = y.length - 1; j >= 0; j--) {
			lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
		}
	}
	const out: Op[] = a.slice(0, head).map((l) => [' ', l]);
	let i = 0;
	let j = 0;
	while (i < x.length || j < y.length) {
		if (i < x.length && j < y.length && x[i] === y[j]) {
			out.push([' ', x[i++]!]);
			j++;
		} else if (i < x.length && (j === y.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
			// Deletions first, as diff(1) writes them.
			out.push(['-', x[i++]!]);
		} else {
			out.push(['+', y[j++]!]);
		}
	}
	for (const l of a.slice(a.length - tail)) out.push([' ', l]);
	return out;
}

/** '' when equal; otherwise `--- a` / `+++ b` and hunks with `context` lines around changes. */
export function unifiedDiff(oldText: string | null, newText: string | null, oldName: string, newName: string, context = 3): string {
	if (oldText === newText) return '';
	const all = ops(lines(oldText), lines(newText));
	const out = [`--- ${oldText === null ? '/dev/null' : oldName}`, `+++ ${newText === null ? '/dev/null' : newName}`];
	let k = 0;
	while (k < all.length) {
		if (all[k]![0] === ' ') {
			k++;
			continue;
		}
		// A hunk: from `context` lines before this change to `context` after the last change
		// that is at most 2*context lines from the next one.
		const start = Math.max(0, k - context);
		let end = k;
		for (let m = k; m < all.length; m++) {
			if (all[m]![0] !== ' ') end = m;
			else if (m - end > 2 * context) break;
		}
		const stop = Math.min(all.length, end + context + 1);
		let aLine = 1;
		let bLine = 1;
		for (let m = 0; m < start; m++) {
			if (all[m]![0] !== '+') aLine++;
			if (all[m]![0] !== '-') bLine++;
		}
		const body = all.slice(start, stop);
		const aLen = body.filter((o) => o[0] !== '+').length;
		const bLen = body.filter((o) => o[0] !== '-').length;
		out.push(`@@ -${aLen ? aLine : aLine - 1},${aLen} +${bLen ? bLine : bLine - 1},${bLen} @@`);
		for (const [op, l] of body) out.push(`${op}${l}`);
		k = stop;
	}
	return `${out.join('\n')}\n`;
}
