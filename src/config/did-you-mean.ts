// "did you mean" suggestions by edit distance. Optimal string alignment (Levenshtein plus swapping
// two neighbours), so the common typo 'vird' for 'vrid' is one edit away.

export function editDistance(a: string, b: string): number {
	const d: number[][] = [];
	for (let i = 0; i <= a.length; i++) d.push([i]);
	for (let j = 1; j <= b.length; j++) d[0]![j] = j;
	for (let i = 1; i <= a.length; i++) {
		for (let j = 1; j <= b.length; j++) {
			const cost = a[i - 1] === b[j - 1] ? 0 : 1;
			let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
			if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
			d[i]![j] = best;
		}
	}
	return d[a.length]![b.length]!;
}

/** The closest candidate within a third of the word's length (at least 1, at most 3), or null. */
export function didYouMean(word: string, candidates: readonly string[]): string | null {
	const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
	let best: string | null = null;
	let bestDist = limit + 1;
	for (const c of candidates) {
		const dist = editDistance(word.toLowerCase(), c.toLowerCase());
		if (dist < bestDist) {
			best = c;
			bestDist = dist;
		}
	}
	return best;
}
