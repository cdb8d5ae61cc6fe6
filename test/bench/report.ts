// The end of a benchmark that writes a markdown report: its lines, then every run as JSON, to `out`
// and stdout; then exit (the testbed's handles would keep Node running).
import { writeFileSync } from 'node:fs';

export function writeReport(out: string, lines: readonly string[], runs: readonly unknown[]): never {
	const md = [...lines, '', 'Per run:', '', '```', ...runs.map((r, i) => `${i + 1}: ${JSON.stringify(r)}`), '```', ''].join('\n');
	writeFileSync(out, md);
	process.stdout.write(`${md}\nwrote ${out}\n`);
	process.exit(0);
}
