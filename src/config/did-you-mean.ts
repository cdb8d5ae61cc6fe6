// "did you mean" suggestions by edit distance (Levenshtein, two rows).

export function editDistance(a: string, b: string): number {
	let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
	for (let i = 1; i <= a.length; i++) {
		const row = [i];
		for (let j = 1; j <= b.length; j++) {
			row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
		}
		prev = row;
	}
	return prev[b.length]!;
}

/** The closest candidate within a third of the word's length (at least 1, at most 3), or null. */
export function didYouMean(word: string, candidates: readonly string[]): string | null {
	const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
	let best: string | null = null;
	let bestDist = limit + 1;
	for (const c of candidates) {
		const d = editDistance(word.toLowerCase(), c.toLowerCase());
		if (d < bestDist) {
			best = c;
			bestDist = d;
		}
	}
	return best;
}
