// The uplink health rules: hysteresis both ways, loss and RTT over the window, quality limits,
// unprobed rounds change nothing, a peer's verdict taken over, and which links new connections avoid.
import { describe, expect, it } from 'vitest';
import { LOSS_WINDOW, QUALITY_MIN_ROUNDS, type HealthLimits, type LinkHealth, type Round, adoptPeerState, avoidedLinks, initialHealth, lossPercent, meanRtt, stepHealth } from '../../../src/plan/uplink-health.ts';

const LIMITS = { down: 3, up: 2 };
const ok: Round = { kind: 'answered', rttMs: 12 };
const lost: Round = { kind: 'lost' };

const rtt = (ms: number): Round => ({ kind: 'answered', rttMs: ms });

function feed(rounds: readonly Round[], start: LinkHealth = initialHealth(0), limits: HealthLimits = LIMITS): { h: LinkHealth; changes: number[] } {
	let h = start;
	const changes: number[] = [];
	rounds.forEach((r, i) => {
		const s = stepHealth(h, r, limits, 1000 + i);
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
		const r = feed([...Array(LOSS_WINDOW).fill(ok), ...Array(LOSS_WINDOW / 2).fill([lost, ok]).flat()]);
		expect(r.h.window).toHaveLength(LOSS_WINDOW);
		expect(lossPercent(r.h)).toBe(50);
		expect(lossPercent(initialHealth(0))).toBeNull();
	});
	it('an unprobed round (no address) changes neither state nor counters, and says why', () => {
		const r = feed([lost, lost, { kind: 'unprobed', why: 'no IPv4 address on hawan' }, lost]);
		expect(r.h).toMatchObject({ state: 'dead', bad: 3, unprobed: null });
		expect(feed([{ kind: 'unprobed', why: 'x' }]).h).toMatchObject({ state: 'alive', unprobed: 'x', window: [] });
	});

});

describe('quality limits', () => {
	const Q: HealthLimits = { down: 3, up: 2, maxLoss: 20, maxRttMs: 100 };
	/** Rounds with every `every`-th one lost. */
	const lossy = (n: number, every: number) => Array.from({ length: n }, (_, i) => ((i + 1) % every === 0 ? lost : ok));

	it('judge nothing before QUALITY_MIN_ROUNDS rounds, nor without limits', () => {
		expect(feed(Array(QUALITY_MIN_ROUNDS - 1).fill(rtt(500)), initialHealth(0), Q).h.state).toBe('alive');
		expect(feed(Array(LOSS_WINDOW).fill(rtt(500))).h.state).toBe('alive');
	});
	it('a mean RTT over max_rtt for `down` rounds in a row degrades the link; within it for `up` rounds, alive again', () => {
		const slow = feed([...Array(QUALITY_MIN_ROUNDS + 2).fill(rtt(150))], initialHealth(0), Q);
		expect(slow.changes).toEqual([QUALITY_MIN_ROUNDS + 1]);
		expect(slow.h).toMatchObject({ state: 'degraded', poor: 3 });
		expect(meanRtt(slow.h)).toBe(150);
		// The mean falls below 100 ms only once enough fast rounds are in the window: then `up` rounds.
		const back = feed(Array(LOSS_WINDOW).fill(rtt(10)), slow.h, Q);
		expect(back.h.state).toBe('alive');
		expect(back.changes).toHaveLength(1);
	});
	it('loss over max_loss degrades (one in three lost is 33 %); one in ten (10 %) does not', () => {
		expect(feed(lossy(LOSS_WINDOW, 3), initialHealth(0), Q).h.state).toBe('degraded');
		expect(feed(lossy(LOSS_WINDOW * 2, 10), initialHealth(0), Q).h.state).toBe('alive');
	});
	it('a degraded link still dies after `down` lost rounds; back over a limit it is degraded, not alive (a flapping link stays avoided)', () => {
		const d = feed(lossy(LOSS_WINDOW, 3), initialHealth(0), Q).h;
		const r = feed([lost, lost, lost, ok, ok], d, Q);
		expect(r.changes).toEqual([2, 4]);
		expect(r.h.state).toBe('degraded');
		// Without limits the dead spell's losses do not matter: alive.
		expect(feed([...Array(10).fill(lost), ok, ok]).h.state).toBe('alive');
		// With them, a long outage is a lossy window until enough rounds answer: degraded, then alive.
		const out = feed([...Array(LOSS_WINDOW).fill(lost), ...Array(LOSS_WINDOW).fill(ok)], initialHealth(0), Q);
		// Alive once 16 of the last 20 answered (20 % loss) and `up` (2) rounds within the limit: the 16th and 17th answer.
		expect(out.changes).toEqual([2, LOSS_WINDOW + 1, LOSS_WINDOW + 16]);
		expect(out.h.state).toBe('alive');
	});
});

describe('the peer\'s verdict and the avoided links', () => {
	it('a link this node cannot probe takes the peer\'s state, since now, and says why it is unprobed this round', () => {
		const h = { ...initialHealth(0), unprobed: 'not probed yet' };
		const r = adoptPeerState(h, 'dead', 'no IPv4 address on hawan', 500);
		expect(r).toMatchObject({ changed: true, next: { state: 'dead', since: 500, unprobed: 'no IPv4 address on hawan' } });
		expect(adoptPeerState(r.next, 'dead', 'no IPv4 address on hawan', 900)).toMatchObject({ changed: false, next: { since: 500 } });
		// The same state again still says why this round was not probed (the first round's reason does not stick).
		expect(adoptPeerState({ ...r.next, unprobed: 'not probed yet' }, 'dead', 'no IPv4 address on hawan', 900).next.unprobed).toBe('no IPv4 address on hawan');
		// Probed from then on, it needs `up` answered rounds to be alive: the new master does not start from "all alive".
		expect(feed([ok], r.next).h.state).toBe('dead');
		expect(feed([ok, ok], r.next).h.state).toBe('alive');
	});
	it.each<[string, Record<string, 'alive' | 'degraded' | 'dead'>, string[]]>([
		['all alive', { a: 'alive', b: 'alive' }, []],
		['one dead', { a: 'alive', b: 'dead' }, ['b']],
		['one degraded while another is alive', { a: 'alive', b: 'degraded' }, ['b']],
		['degraded and dead: the degraded one is used', { a: 'degraded', b: 'dead' }, ['b']],
		['all degraded: all used', { a: 'degraded', b: 'degraded' }, []],
		['all dead: all avoided (the renderer picks the last resort)', { a: 'dead', b: 'dead' }, ['a', 'b']],
	])('%s', (_, states, avoided) => {
		expect(avoidedLinks(states)).toEqual(avoided);
	});
});
