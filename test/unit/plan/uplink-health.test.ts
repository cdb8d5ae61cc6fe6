// The uplink health rules: hysteresis both ways, loss over the window, unprobed rounds change nothing.
import { describe, expect, it } from 'vitest';
import { LOSS_WINDOW, type LinkHealth, type Round, initialHealth, lossPercent, stepHealth } from '../../../src/plan/uplink-health.ts';

const LIMITS = { down: 3, up: 2 };
const ok: Round = { kind: 'answered', rttMs: 12 };
const lost: Round = { kind: 'lost' };

function feed(rounds: readonly Round[], start: LinkHealth = initialHealth(0)): { h: LinkHealth; changes: number[] } {
	let h = start;
	const changes: number[] = [];
	rounds.forEach((r, i) => {
		const s = stepHealth(h, r, LIMITS, 1000 + i);
		h = s.next;
		if (s.changed) changes.push(i);
	});
	return { h, changes };
}

describe('stepHealth', () => {
	it('starts alive and dies only after `down` lost rounds in a row', () => {
		expect(feed([lost, lost, ok, lost, lost]).h.state).toBe('alive');
		const r = feed([lost, lost, lost]);
		expect(r.h).toMatchObject({ state: 'dead', since: 1002, bad: 3 });
		expect(r.changes).toEqual([2]);
	});
	it('lives again only after `up` answered rounds in a row, keeping the last RTT', () => {
		const r = feed([lost, lost, lost, ok, lost, ok, { kind: 'answered', rttMs: 7 }]);
		expect(r.changes).toEqual([2, 6]);
		expect(r.h).toMatchObject({ state: 'alive', since: 1006, rttMs: 7 });
	});
	it('counts loss over the last LOSS_WINDOW rounds', () => {
		const r = feed([...Array(LOSS_WINDOW).fill(lost), ...Array(LOSS_WINDOW / 2).fill(ok)]);
		expect(lossPercent(r.h)).toBe(50);
		expect(lossPercent(initialHealth(0))).toBeNull();
	});
	it('an unprobed round (no address) changes neither state nor counters, and says why', () => {
		const r = feed([lost, lost, { kind: 'unprobed', why: 'no IPv4 address on hawan' }, lost]);
		expect(r.h).toMatchObject({ state: 'dead', bad: 3, unprobed: null });
		expect(feed([{ kind: 'unprobed', why: 'x' }]).h).toMatchObject({ state: 'alive', unprobed: 'x', window: [] });
	});
});
