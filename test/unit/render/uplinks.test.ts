// The uplink data path's pure parts: weights to numgen buckets, which links a choice may use when
// some are dead, and the health update touching nothing but the choice maps' elements.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUCKETS, allDeadSentence, choiceMaps, onlyChoiceMapsDiffer, renderUplinkMapUpdate, spreadBuckets } from '../../../src/render/uplinks.ts';
import { renderNft } from '../../../src/render/nft.ts';
import { cases, model, uplink } from './models.ts';
import { haveTools, withNetns } from './netns.ts';

const share = (b: { from: number; to: number; mark: number }[]) => Object.fromEntries(b.map((x) => [x.mark >> 16, x.to - x.from + 1]));
const two = cases.find((c) => c.name === '30_uplinks')!.model;

describe('spreadBuckets', () => {
	it('gives each link its weight share of the buckets, contiguous, covering all of them', () => {
		expect(share(spreadBuckets([{ mark: 1 << 16, weight: 2 }, { mark: 2 << 16, weight: 1 }]))).toEqual({ 1: 667, 2: 333 });
		expect(share(spreadBuckets([1, 1, 1].map((w, i) => ({ mark: (i + 1) << 16, weight: w }))))).toEqual({ 1: 334, 2: 333, 3: 333 });
		const b = spreadBuckets([{ mark: 1 << 16, weight: 7 }, { mark: 2 << 16, weight: 0 }, { mark: 3 << 16, weight: 13 }]);
		expect(b).toEqual([{ from: 0, to: 349, mark: 1 << 16 }, { from: 350, to: BUCKETS - 1, mark: 3 << 16 }]);
	});
	it('has nothing to spread when every weight is 0', () => {
		expect(spreadBuckets([{ mark: 1 << 16, weight: 0 }])).toEqual([]);
	});
});

describe('choiceMaps', () => {
	it('balances over the lowest tier; a rule for a dead uplink balances instead', () => {
		expect(share(choiceMaps(two.uplinks!, []).get('uplink_balanced')!)).toEqual({ 1: 750, 2: 250 });
		const oneDead = choiceMaps(two.uplinks!, ['isp2']);
		expect(share(oneDead.get('uplink_balanced')!)).toEqual({ 1: 1000 });
		expect(share(oneDead.get('uplink_only_isp2')!)).toEqual({ 1: 1000 });
	});
	it('moves to the next tier when a whole tier is dead, and uses everything when every uplink is dead', () => {
		expect(share(choiceMaps(two.uplinks!, ['isp1', 'isp2']).get('uplink_balanced')!)).toEqual({ 3: 1000 });
		// isp1 is the preferred one (the last resort); without one, everything keeps its configured share.
		expect(share(choiceMaps(two.uplinks!, ['isp1', 'isp2', 'lte']).get('uplink_balanced')!)).toEqual({ 1: 1000 });
		const nonePreferred = { ...two.uplinks!, links: two.uplinks!.links.map((l) => ({ ...l, preferred: false })) };
		expect(share(choiceMaps(nonePreferred, ['isp1', 'isp2', 'lte']).get('uplink_balanced')!)).toEqual({ 1: 750, 2: 250 });
		// The sentence the log, `uplinks` and `status` say then names what the maps do.
		expect(allDeadSentence(two.uplinks!)).toBe('every uplink is dead: new connections all go to the preferred uplink isp1, and the main table keeps its default route');
		expect(allDeadSentence(nonePreferred)).toBe('every uplink is dead: all stay in the balance as configured, and the main table keeps its default route');
	});
});

describe('renderUplinkMapUpdate', () => {
	it('rewrites only the choice maps, in one script', () => {
		const text = renderUplinkMapUpdate(two, ['isp2']);
		expect(text.split('\n').filter(Boolean).every((l) => /^(flush map|add element) inet ha_router uplink_(balanced|tier_\d+|only_\w+)\b/.test(l))).toBe(true);
		expect(text).toContain('add element inet ha_router uplink_balanced { 0-999 : 0x00010000 }');
	});
	it('is empty without uplinks; the table is made again with or without them', () => {
		expect(renderUplinkMapUpdate(model(), [])).toBe('');
		expect(renderNft(model(), { wanAddress: null })).toContain('\ndelete table inet ha_router\n');
		expect(renderNft(model({ uplinks: { links: [uplink(1)], rules: [], snatSources: [] } }), { wanAddress: null })).toContain('\ndelete table inet ha_router\n');
	});
});

const GOLDEN = join(import.meta.dirname, '../../golden');

describe('the marks of others', () => {
	it('every packet mark our rules set keeps the bits that are not ours (the sites use 0xff000000)', () => {
		const text = renderNft(two, { wanAddress: '198.51.100.7' });
		const sets = [...text.matchAll(/meta mark set ([^\n]*?)(?: return| comment|$)/gm)].map((m) => m[1]);
		expect(sets.length).toBe(3);
		for (const x of sets) expect(x).toMatch(/^meta mark & 0xff00ffff \| 0x00[0-9a-f]{2}0000$/);
		const ctSets = [...text.matchAll(/ct mark set (ct mark & 0xff00ffff \| 0x\w+|numgen|ip saddr map)/g)];
		expect(ctSets.length).toBe([...text.matchAll(/ct mark set /g)].length);
	});
});

describe('onlyChoiceMapsDiffer', () => {
	const facts = cases.find((c) => c.name === '30_uplinks')!.uplinkFacts!;
	const render = (m: typeof two, dead: string[] = []) => renderNft(m, { wanAddress: '198.51.100.7', uplinks: { ...facts, dead } });
	const reweighted = { ...two, uplinks: { ...two.uplinks!, links: two.uplinks!.links.map((l) => (l.name === 'isp2' ? { ...l, weight: 3 } : l)) } };
	it('is true for a weight or health change alone: the elements are all that moves', () => {
		expect(onlyChoiceMapsDiffer(render(two), render(reweighted))).toBe(true);
		expect(onlyChoiceMapsDiffer(render(two), render(two, ['isp2']))).toBe(true);
	});
	it('is false for identical tables and for any other change (an address, a rule, a new uplink)', () => {
		expect(onlyChoiceMapsDiffer(render(two), render(two))).toBe(false);
		expect(onlyChoiceMapsDiffer(render(two), renderNft(two, { wanAddress: '198.51.100.7', uplinks: { ...facts, addresses: { ...facts.addresses, lte: '100.64.0.9' } } }))).toBe(false);
		const noRules = { ...two, uplinks: { ...two.uplinks!, rules: [] } };
		expect(onlyChoiceMapsDiffer(render(two), render(noRules))).toBe(false);
	});
});

describe.skipIf(!haveTools(['nft']))('on the kernel', () => {
	it('a health update changes the choice maps\' elements and nothing else', async () => {
		await withNetns('hr5-uplinks', (ns) => {
			expect(ns.exec(['nft', '-f', join(GOLDEN, '30_uplinks/ruleset.nft')]).code).toBe(0);
			const before = ns.exec(['nft', 'list', 'table', 'inet', 'ha_router']).stdout.split('\n');
			const r = ns.exec(['nft', '-f', join(GOLDEN, '31_uplinks_one_dead/uplinks-update.nft')]);
			expect(r.stderr).toBe('');
			const after = ns.exec(['nft', 'list', 'table', 'inet', 'ha_router']).stdout.split('\n');
			expect(after.length).toBe(before.length);
			const changed = after.map((l, i) => [before[i], l]).filter(([a, b]) => a !== b);
			expect(changed).toEqual([
				['\t\telements = { 0-749 : 0x00010000, 750-999 : 0x00020000 }', '\t\telements = { 0-999 : 0x00010000 }'],
				['\t\telements = { 0-999 : 0x00020000 }', '\t\telements = { 0-999 : 0x00010000 }'],
			]);
		});
	});
});
