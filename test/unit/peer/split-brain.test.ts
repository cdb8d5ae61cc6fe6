// The split-brain verdict, case by case: who steps down when both nodes are MASTER, and when the
// one that stepped down comes back.
import { describe, expect, it } from 'vitest';
import type { Heartbeat } from '../../../src/peer/protocol.ts';
import { judgeSplit, preferred, type SplitInput } from '../../../src/peer/split-brain.ts';

const NOW = 50_000;
const WALL = 1_700_000_000_000;
const SILENT = 1000;
const DAMPING = 30_000;
const GRACE = 110;

const hb = (over: Partial<Heartbeat> = {}): Heartbeat => ({ t: 'hb', node: 'router-b', seq: 7, role: 'MASTER', settled: true, priority: 100, address: '10.255.0.2', demoted: null, ...over });

/** This node (router-a, priority 150, 10.255.0.1) MASTER, the peer MASTER and heard 100 ms ago, not demoted. */
function input(over: Partial<SplitInput> = {}, peer: Partial<Heartbeat> = {}): SplitInput {
	return {
		now: NOW,
		wallNow: WALL,
		role: 'MASTER',
		priority: 150,
		address: '10.255.0.1',
		peer: { hb: hb(peer), at: NOW - 100 },
		silentMs: SILENT,
		demotedSince: null,
		vrrpHeard: false,
		dampingMs: DAMPING,
		bothMasterSince: NOW - GRACE,
		graceMs: GRACE,
		peerHeardSinceBoth: true,
		...over,
	};
}

describe('judgeSplit, not demoted', () => {
	it.each<[string, Partial<SplitInput>, Partial<Heartbeat>]>([
		['the peer is BACKUP', {}, { role: 'BACKUP' }],
		['the peer is FAULT', {}, { role: 'FAULT' }],
		['the peer has no role yet', {}, { role: null }],
		['this node is BACKUP', { role: 'BACKUP' }, {}],
		['this node has no role yet', { role: null }, {}],
		['the peer was never heard', { peer: null }, {}],
		['the peer is silent', { peer: { hb: hb(), at: NOW - SILENT } }, {}],
	])('no split brain when %s', (_, over, peer) => {
		expect(judgeSplit(input(over, peer))).toEqual({ both: false, action: 'none', split: false });
		// Even where the peer would be preferred.
		expect(judgeSplit(input(over, { priority: 200, ...peer }))).toEqual({ both: false, action: 'none', split: false });
	});

	it('a peer heard just inside the silent time still counts', () => {
		expect(judgeSplit(input({ peer: { hb: hb({ priority: 200 }), at: NOW - SILENT + 1 } }))).toMatchObject({ action: 'step-down', split: true });
	});

	it('both MASTER and the peer preferred (higher priority): this node steps down, naming the peer', () => {
		const v = judgeSplit(input({}, { priority: 200 }));
		expect(v).toMatchObject({ action: 'step-down', split: true });
		expect(v.action === 'step-down' && v.why).toMatch(/router-b.*200/);
	});

	it('both MASTER and this node preferred: it stays, and knows there is a split brain', () => {
		expect(judgeSplit(input())).toEqual({ both: true, action: 'none', split: true });
	});

	it('a crashed peer: its last heartbeat said MASTER, and nothing came since both were MASTER: no split brain', () => {
		expect(judgeSplit(input({ peerHeardSinceBoth: false }, { priority: 200 }))).toEqual({ both: true, action: 'none', split: false });
		expect(judgeSplit(input({ peerHeardSinceBoth: true }, { priority: 200 }))).toMatchObject({ action: 'step-down', split: true });
	});

	it('two masters for less than the grace time are no split brain yet (a handover in flight)', () => {
		expect(judgeSplit(input({ bothMasterSince: null }, { priority: 200 }))).toEqual({ both: true, action: 'none', split: false });
		expect(judgeSplit(input({ bothMasterSince: NOW - GRACE + 1 }, { priority: 200 }))).toEqual({ both: true, action: 'none', split: false });
		expect(judgeSplit(input({ bothMasterSince: NOW - GRACE }, { priority: 200 }))).toMatchObject({ both: true, action: 'step-down', split: true });
	});

	it('a peer demoted by a switchover advertises priority 1 and loses', () => {
		expect(judgeSplit(input({ priority: 100 }, { priority: 1, demoted: 'switchover' }))).toEqual({ both: true, action: 'none', split: true });
		expect(judgeSplit(input({ priority: 1 }, { priority: 100 }))).toMatchObject({ action: 'step-down' });
	});

	it('at equal priority the higher address wins, compared as numbers (10.255.0.10 over 10.255.0.9)', () => {
		expect(judgeSplit(input({ priority: 100, address: '10.255.0.9' }, { priority: 100, address: '10.255.0.10' }))).toMatchObject({ action: 'step-down', split: true });
		expect(judgeSplit(input({ priority: 100, address: '10.255.0.10' }, { priority: 100, address: '10.255.0.9' }))).toEqual({ both: true, action: 'none', split: true });
	});
});

describe('preferred', () => {
	/** Exactly one side of a pair wins, seen from either node. */
	function winner(priority: number, a: string, b: string): string {
		const aWins = preferred(priority, a, hb({ priority, address: b }));
		const bWins = preferred(priority, b, hb({ priority, address: a }));
		expect({ a, b, both: aWins && bWins, neither: !aWins && !bWins }).toEqual({ a, b, both: false, neither: false });
		return aWins ? a : b;
	}

	it.each([
		['10.255.0.1', '10.255.0.2', '10.255.0.2'],
		['10.255.0.9', '10.255.0.10', '10.255.0.10'],
		['9.1.1.1', '10.1.1.1', '10.1.1.1'],
		['192.168.1.3', '192.168.10.2', '192.168.10.2'],
		['fd00:ff::1', 'fd00:ff::2', 'fd00:ff::2'],
		['fd00:ff::9', 'fd00:ff::10', 'fd00:ff::10'],
		['fd00:ff::a', 'fd00:ff::9', 'fd00:ff::a'],
		['fe80::1', 'fd00::2', 'fe80::1'],
	])('at equal priority %s against %s: both sides agree on %s', (a, b, expected) => {
		expect(winner(100, a, b)).toBe(expected);
		expect(winner(100, b, a)).toBe(expected);
	});

	it('both sides agree on IPv6 addresses written in different forms', () => {
		for (const [a, b] of [
			['fd00::1:0', 'fd00::ffff'],
			['FD00::2', 'fd00::1'],
			['fd00:0:0:0:0:0:0:2', 'fd00::3'],
		] as const) {
			winner(100, a, b);
		}
	});

	it('the higher priority wins whatever the addresses', () => {
		expect(preferred(150, '10.0.0.1', hb({ priority: 100, address: '10.0.0.2' }))).toBe(true);
		expect(preferred(100, '10.0.0.2', hb({ priority: 150, address: '10.0.0.1' }))).toBe(false);
	});
});

describe('judgeSplit, stepped down for a split brain', () => {
	const since = WALL - 5_000;

	it.each<[string, Partial<SplitInput>]>([
		['the peer is silent', { peer: { hb: hb(), at: NOW - SILENT } }],
		['the peer was never heard', { peer: null }],
	])('steps up at once when %s', (_, over) => {
		const v = judgeSplit(input({ role: 'FAULT', demotedSince: since, ...over }));
		expect(v).toMatchObject({ action: 'step-up', split: false });
		expect(v.action === 'step-up' && v.why).toMatch(/silent/);
	});

	it.each<[Heartbeat['role']]>([['BACKUP'], ['FAULT'], [null]])('steps up at once when the peer is %s, VRRP heard or not', (role) => {
		for (const vrrpHeard of [false, true]) {
			const v = judgeSplit(input({ role: 'FAULT', demotedSince: since, vrrpHeard }, { role }));
			expect(v).toMatchObject({ action: 'step-up', split: false });
			expect(v.action === 'step-up' && v.why).toContain(role ?? 'without a role');
		}
	});

	it('VRRP from the peer heard again, but the damping time not over: stays down, the split brain over', () => {
		expect(judgeSplit(input({ role: 'FAULT', demotedSince: WALL - DAMPING + 1, vrrpHeard: true }))).toMatchObject({ action: 'stay-down', split: false });
	});

	it('VRRP heard again and the damping time over: steps up', () => {
		for (const demotedSince of [WALL - DAMPING, WALL - DAMPING - 60_000]) {
			const v = judgeSplit(input({ role: 'FAULT', demotedSince, vrrpHeard: true }));
			expect(v).toMatchObject({ action: 'step-up', split: false });
			expect(v.action === 'step-up' && v.why).toMatch(/VRRP/);
		}
	});

	it('VRRP still not heard after the damping time: stays down (and counts no new split brain)', () => {
		expect(judgeSplit(input({ role: 'FAULT', demotedSince: WALL - DAMPING - 60_000, vrrpHeard: false }))).toMatchObject({ action: 'stay-down', split: false });
	});

	it('with no damping, VRRP heard is enough', () => {
		expect(judgeSplit(input({ role: 'FAULT', demotedSince: WALL, vrrpHeard: true, dampingMs: 0 }))).toMatchObject({ action: 'step-up' });
	});

	it('never steps down again while demoted, even against a preferred MASTER', () => {
		expect(judgeSplit(input({ role: 'MASTER', demotedSince: since }, { priority: 200 }))).toMatchObject({ action: 'stay-down', split: false });
	});
});
