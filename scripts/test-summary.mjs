// Prints the closing line CI reads, 'N passed, N failed', from vitest's JSON reports.
// Usage: node scripts/test-summary.mjs REPORT.json...
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
for (const f of process.argv.slice(2)) {
	if (!existsSync(f)) {
		console.error(`test-summary: ${f} is missing (that suite did not finish)`);
		failed++;
		continue;
	}
	const r = JSON.parse(readFileSync(f, 'utf8'));
	passed += r.numPassedTests;
	failed += r.numFailedTests;
	skipped += r.numPendingTests + (r.numTodoTests ?? 0);
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
