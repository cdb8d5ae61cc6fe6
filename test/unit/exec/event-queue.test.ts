// Concurrent hooks, simulated as concurrent tasks over real files and O_EXCL locks, each with
// its own order key (as separate processes would have from their start time).
import { readFileSync, rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queueFiles, submitEvent, type QueuedEvent, type QueueFiles } from '../../../src/exec/event-queue.ts';
import type { VrrpState } from '../../../src/model/types.ts';
import { nodeRuntime, tempDir } from '../../support/node-runtime.ts';

let dir: string;
let files: QueueFiles;
let stateFile: string;
beforeEach(async () => {
	dir = await tempDir();
	files = queueFiles(dir);
	stateFile = `${dir}/state.json`;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

// A seeded PRNG so a failure reproduces.
function prng(seed: number) {
	return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const key = (n: number) => String(n).padStart(16, '0');
async function until(cond: () => boolean) {
	for (let i = 0; i < 500 && !cond(); i++) await sleep(1);
	if (!cond()) throw new Error('condition not reached');
}
const event = (n: number, state: VrrpState): QueuedEvent => ({ key: key(n), event: { type: 'INSTANCE', name: 'lan', state, priority: 100 } });

function handler(log: string[], stepMs: () => number) {
	const rt = nodeRuntime();
	return async (q: QueuedEvent, superseded: () => Promise<boolean>) => {
		log.push(`start ${q.event.state}`);
		for (let i = 0; i < 3; i++) {
			if (await superseded()) {
				log.push(`superseded ${q.event.state}`);
				break;
			}
			await sleep(stepMs());
		}
		await rt.writeFileAtomic(stateFile, JSON.stringify({ key: q.key, role: q.event.state }), 0o644);
	};
}

describe('submitEvent', () => {
	it('runs a lone event at once', async () => {
		const log: string[] = [];
		expect(await submitEvent(nodeRuntime(), files, event(1, 'MASTER'), handler(log, () => 0))).toBe('handled');
		expect(log).toEqual(['start MASTER']);
	});
	it('drops an event older than the one already handled', async () => {
		const log: string[] = [];
		await submitEvent(nodeRuntime(), files, event(5, 'MASTER'), handler(log, () => 0));
		expect(await submitEvent(nodeRuntime(), files, event(4, 'BACKUP'), handler(log, () => 0))).toBe('stale');
		expect(JSON.parse(readFileSync(stateFile, 'utf8')).role).toBe('MASTER');
	});
	it('MASTER, BACKUP, MASTER during a slow step gives exactly two executions', async () => {
		const log: string[] = [];
		const h = handler(log, () => 30);
		const first = submitEvent(nodeRuntime(), files, event(1, 'MASTER'), h);
		await until(() => log.length > 0);
		const b = await submitEvent(nodeRuntime(), files, event(2, 'BACKUP'), h);
		const m = await submitEvent(nodeRuntime(), files, event(3, 'MASTER'), h);
		expect(await first).toBe('handled');
		expect([b, m]).toEqual(['queued', 'queued']);
		// BACKUP was replaced while waiting by the newer MASTER; the running MASTER is not disturbed.
		expect(log).toEqual(['start MASTER', 'start MASTER']);
	});
	it('a newer contradicting event stops the running plan between steps', async () => {
		const log: string[] = [];
		const h = handler(log, () => 20);
		const first = submitEvent(nodeRuntime(), files, event(1, 'MASTER'), h);
		await until(() => log.length > 0);
		await submitEvent(nodeRuntime(), files, event(2, 'BACKUP'), h);
		await first;
		expect(log).toEqual(['start MASTER', 'superseded MASTER', 'start BACKUP']);
		expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toEqual({ key: key(2), role: 'BACKUP' });
	});
	it('1 000 randomized bursts each end in the state of their newest event', async () => {
		const rand = prng(20261122);
		const states: VrrpState[] = ['MASTER', 'BACKUP', 'FAULT', 'STOP'];
		let n = 0;
		let runs = 0;
		for (let burst = 0; burst < 1000; burst++) {
			const size = 1 + Math.floor(rand() * 5);
			const evs = Array.from({ length: size }, () => event(++n, states[Math.floor(rand() * 4)]!));
			const log: string[] = [];
			const h = handler(log, () => (rand() < 0.3 ? 1 : 0));
			// Hooks start in key order (as keepalived forks them) but interleave from there.
			await Promise.all(evs.map(async (e, i) => (i && rand() < 0.7 ? await sleep(Math.floor(rand() * 3)) : undefined, submitEvent(nodeRuntime(), files, e, h))));
			const st = JSON.parse(readFileSync(stateFile, 'utf8'));
			expect(st).toEqual({ key: evs.at(-1)!.key, role: evs.at(-1)!.event.state });
			runs += log.filter((l) => l.startsWith('start')).length;
		}
		// Coalescing: fewer plans ran than events were offered.
		expect(runs).toBeLessThan(n);
	}, 120_000);
});
