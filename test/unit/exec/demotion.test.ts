// The run-time priority: demotion.json says why, the track file says by how much, and the two agree
// after every change, also when something else rewrote the track file.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAULT_VALUE, NO_DEMOTION, demotionReason, readDemotion, readTrackValue, syncTrackFile, trackValue, updateDemotion, type Demotion } from '../../../src/exec/demotion.ts';
import { pathsFor, type Paths } from '../../../src/model/paths.ts';
import { effectivePriority } from '../../../src/peer/local-state.ts';
import { nodeRuntime, tempDir } from '../../support/node-runtime.ts';

const lower: Demotion = { ...NO_DEMOTION, switchover: { since: 1000, method: 'lower' } };
const resign: Demotion = { ...NO_DEMOTION, switchover: { since: 1000, method: 'resign' } };
const split: Demotion = { ...NO_DEMOTION, splitBrain: { since: 2000 }, splitBrains: 1, lastSplitBrain: 2000 };

describe('trackValue', () => {
	it('none: 0, the configured priority', () => {
		expect(trackValue(NO_DEMOTION, 150)).toBe(0);
		expect(effectivePriority(150, trackValue(NO_DEMOTION, 150))).toBe(150);
	});

	it('a switchover that lowers: priority 1, whatever the configured one', () => {
		for (const p of [1, 2, 100, 150, 254]) {
			expect(trackValue(lower, p)).toBe(1 - p);
			expect(effectivePriority(p, trackValue(lower, p))).toBe(1);
			// Never as low as keepalived's FAULT threshold.
			expect(trackValue(lower, p)).toBeGreaterThan(FAULT_VALUE);
		}
	});

	it('a switchover that resigns, and a split brain: FAULT (priority 0)', () => {
		expect(FAULT_VALUE).toBe(-254);
		for (const d of [resign, split, { ...split, switchover: lower.switchover }]) {
			expect(trackValue(d, 150)).toBe(FAULT_VALUE);
			expect(effectivePriority(254, trackValue(d, 254))).toBe(0);
		}
	});

	it('a split brain outranks a switchover as the reason', () => {
		expect(demotionReason(NO_DEMOTION)).toBeNull();
		expect(demotionReason(lower)).toBe('switchover');
		expect(demotionReason({ ...split, switchover: lower.switchover })).toBe('split-brain');
	});
});

describe('the files', () => {
	let root: string;
	let paths: Paths;
	const rt = nodeRuntime();
	const json = () => JSON.parse(readFileSync(`${paths.runDir}/demotion.json`, 'utf8'));
	const track = () => readFileSync(paths.trackFile, 'utf8');

	beforeEach(async () => {
		root = await tempDir();
		paths = pathsFor(root);
	});
	afterEach(() => rmSync(root, { recursive: true, force: true }));

	it('a missing track file reads 0, and so does one that is not a number', async () => {
		expect(await readTrackValue(rt, paths)).toBe(0);
		await rt.makeDir(paths.runDir);
		writeFileSync(paths.trackFile, 'lots\n');
		expect(await readTrackValue(rt, paths)).toBe(0);
		writeFileSync(paths.trackFile, '-149\n');
		expect(await readTrackValue(rt, paths)).toBe(-149);
	});

	it('updateDemotion writes demotion.json and the track file, and reading gives it back', async () => {
		const after = await updateDemotion(rt, paths, 150, (d) => ({ ...d, switchover: { since: 1000, method: 'lower' } }));
		expect(after).toEqual(lower);
		expect(json()).toEqual(lower);
		expect(track()).toBe('-149\n');
		expect(await readDemotion(rt, paths)).toEqual(lower);

		await updateDemotion(rt, paths, 150, (d) => ({ ...d, splitBrain: { since: 2000 }, splitBrains: d.splitBrains + 1, lastSplitBrain: 2000 }));
		expect(json()).toEqual({ ...split, switchover: lower.switchover });
		expect(track()).toBe(`${FAULT_VALUE}\n`);

		await updateDemotion(rt, paths, 150, (d) => ({ ...d, splitBrain: null, switchover: null }));
		expect(json()).toEqual({ ...NO_DEMOTION, splitBrains: 1, lastSplitBrain: 2000 });
		expect(track()).toBe('0\n');
		// The lock is released.
		expect(existsSync(`${paths.runDir}/demotion.lock`)).toBe(false);
	});

	it('an update that changes nothing writes no demotion.json, but makes sure the track file exists', async () => {
		expect(await updateDemotion(rt, paths, 150, (d) => d)).toEqual(NO_DEMOTION);
		expect(existsSync(`${paths.runDir}/demotion.json`)).toBe(false);
		expect(track()).toBe('0\n');
	});

	it('concurrent updates are serialized: none is lost', async () => {
		await Promise.all(Array.from({ length: 8 }, () => updateDemotion(rt, paths, 150, (d) => ({ ...d, splitBrains: d.splitBrains + 1 }))));
		expect(json().splitBrains).toBe(8);
	});

	it('syncTrackFile repairs a track file someone overwrote with 0, and leaves a right one alone', async () => {
		await updateDemotion(rt, paths, 150, () => lower);
		writeFileSync(paths.trackFile, '0\n');
		expect(await syncTrackFile(rt, paths, await readDemotion(rt, paths), 150)).toBe(true);
		expect(track()).toBe('-149\n');
		expect(await syncTrackFile(rt, paths, await readDemotion(rt, paths), 150)).toBe(false);
		expect(track()).toBe('-149\n');
	});

	it('syncTrackFile writes a missing track file, also when it should say 0', async () => {
		// The agent makes the run directory when it starts.
		await rt.makeDir(paths.runDir);
		expect(await syncTrackFile(rt, paths, NO_DEMOTION, 150)).toBe(true);
		expect(track()).toBe('0\n');
		rmSync(paths.trackFile);
		expect(await syncTrackFile(rt, paths, split, 150)).toBe(true);
		expect(track()).toBe(`${FAULT_VALUE}\n`);
	});

	it('a demotion.json that is not JSON reads as no demotion', async () => {
		await rt.makeDir(paths.runDir);
		writeFileSync(`${paths.runDir}/demotion.json`, '{"switchover":');
		expect(await readDemotion(rt, paths)).toEqual(NO_DEMOTION);
	});
});
