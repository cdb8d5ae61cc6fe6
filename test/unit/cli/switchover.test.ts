// The switchover preflight: every check with the numbers it judged, for a healthy pair and for
// each way one can fail. Pure: the states are what `localState` and the peer's reply would say.
import { describe, expect, it } from 'vitest';
import { parityTolerance, preflightChecks, type Check } from '../../../src/cli/switchover.ts';
import type { PeerState } from '../../../src/peer/protocol.ts';
import { pairModel } from '../plan/fixture.ts';
import { peerState } from '../peer/peer-state.ts';

const LEASE = '198.51.100.7/24 via 198.51.100.1';
const PEER = '10.255.0.2';
const ALL = ['role', 'demotion', 'keepalived', 'peer', 'peer-role', 'peer-keepalived', 'peer-conntrackd', 'sync-parity', 'peer-lease'];

const state = (over: Partial<PeerState> = {}): PeerState => peerState({ lease: LEASE, ...over });

/** The peer: BACKUP, holding our 1000 connections in its external cache, the same lease. */
const peer = (over: Partial<PeerState> = {}): PeerState =>
	state({ node: 'ha2', role: 'BACKUP', priority: 100, conntrack: { kernel: 12, internal: 10, external: 1000 }, wanHeld: false, ...over });

const failed = (checks: Check[]) => checks.filter((c) => !c.ok);
const one = (checks: Check[], name: string) => checks.find((c) => c.check === name)!;

describe('preflightChecks', () => {
	it('a healthy pair passes every check', () => {
		const checks = preflightChecks(pairModel(), state(), peer(), PEER);
		expect(checks.map((c) => c.check)).toEqual(ALL);
		expect(failed(checks)).toEqual([]);
		expect(one(checks, 'peer').detail).toContain('ha2');
		expect(one(checks, 'sync-parity').detail).toBe('1000 connections here, 1000 on the peer');
		expect(one(checks, 'peer-lease').detail).toBe(`lease here ${LEASE}, on the peer ${LEASE}`);
	});

	it('without sync and WAN there is nothing to compare', () => {
		const checks = preflightChecks(pairModel({ sync: false, wan: false }), state(), peer(), '192.168.1.3');
		expect(checks.map((c) => c.check)).toEqual(['role', 'demotion', 'keepalived', 'peer', 'peer-role', 'peer-keepalived']);
		expect(failed(checks)).toEqual([]);
	});

	it.each<[string, Partial<PeerState>, string, RegExp]>([
		['this node is BACKUP', { role: 'BACKUP' }, 'role', /BACKUP.*MASTER/],
		['this node has no role yet', { role: null }, 'role', /without a role/],
		['this node is already demoted by a switchover', { demoted: 'switchover' }, 'demotion', /already demoted \(switchover\).*--back/],
		['this node is demoted for a split brain', { demoted: 'split-brain' }, 'demotion', /already demoted \(split-brain\)/],
		['keepalived is not running here', { keepalived: false }, 'keepalived', /not running here/],
		['procd did not say whether keepalived runs here', { keepalived: null }, 'keepalived', /not running here/],
	])('fails when %s', (_, self, check, detail) => {
		const checks = preflightChecks(pairModel(), state(self), peer(), PEER);
		expect(failed(checks).map((c) => c.check)).toEqual([check]);
		expect(one(checks, check).detail).toMatch(detail);
	});

	it('fails without a peer address, and asks no more', () => {
		const checks = preflightChecks(pairModel(), state(), null, null);
		expect(checks.map((c) => c.check)).toEqual(['role', 'demotion', 'keepalived', 'peer']);
		expect(one(checks, 'peer')).toMatchObject({ ok: false, detail: expect.stringMatching(/no peer address/) });
	});

	it('fails when the peer is silent, naming its address and the port', () => {
		const checks = preflightChecks(pairModel(), state(), null, PEER);
		expect(checks.map((c) => c.check)).toEqual(['role', 'demotion', 'keepalived', 'peer']);
		expect(one(checks, 'peer').ok).toBe(false);
		expect(one(checks, 'peer').detail).toContain(PEER);
		expect(one(checks, 'peer').detail).toContain('4853');
	});

	it.each<[string, Partial<PeerState>, string, RegExp]>([
		['the peer is MASTER', { role: 'MASTER' }, 'peer-role', /peer is MASTER: it must be BACKUP/],
		['the peer is FAULT', { role: 'FAULT' }, 'peer-role', /peer is FAULT/],
		['keepalived is not running on the peer', { keepalived: false }, 'peer-keepalived', /not running on the peer/],
		['conntrackd is not running on the peer', { conntrackd: false }, 'peer-conntrackd', /conntrackd is not running on the peer/],
		['the peer could not tell about conntrackd', { conntrackd: null }, 'peer-conntrackd', /conntrackd is not running on the peer/],
		['the peer holds another lease', { lease: '198.51.100.9/24 via 198.51.100.1' }, 'peer-lease', /here 198\.51\.100\.7\/24 via 198\.51\.100\.1, on the peer 198\.51\.100\.9\/24/],
		['the peer knows no lease', { lease: null }, 'peer-lease', /on the peer unknown/],
	])('fails when %s', (_, over, check, detail) => {
		const checks = preflightChecks(pairModel(), state(), peer(over), PEER);
		expect(failed(checks).map((c) => c.check)).toEqual([check]);
		expect(one(checks, check).detail).toMatch(detail);
	});

	it('fails when neither node knows the lease (unknown is not a match)', () => {
		const checks = preflightChecks(pairModel(), state({ lease: null }), peer({ lease: null }), PEER);
		expect(failed(checks).map((c) => c.check)).toEqual(['peer-lease']);
	});

	it('parity off by more than the tolerance fails, with the numbers', () => {
		const checks = preflightChecks(pairModel(), state(), peer({ conntrack: { kernel: 12, internal: 10, external: 900 } }), PEER);
		expect(failed(checks).map((c) => c.check)).toEqual(['sync-parity']);
		const detail = one(checks, 'sync-parity').detail;
		expect(detail).toContain('1000 connections here, 900 on the peer');
		expect(detail).toContain('100 missing');
		expect(detail).toContain('more than 16 allowed');
	});

	it('parity within the tolerance passes, up to its edge', () => {
		const at = (here: number, there: number) => one(preflightChecks(pairModel(), state({ conntrack: { kernel: here, internal: here, external: null } }), peer({ conntrack: { kernel: 0, internal: 0, external: there } }), PEER), 'sync-parity');
		expect(at(1000, 984).ok).toBe(true);
		expect(at(1000, 983)).toMatchObject({ ok: false, detail: expect.stringContaining('17 missing') });
		expect(at(10_000, 9900).ok).toBe(true);
		expect(at(10_000, 9899)).toMatchObject({ ok: false, detail: expect.stringContaining('101 missing, more than 100 allowed') });
		// The peer holding more is never a problem.
		expect(at(1000, 1500).ok).toBe(true);
		expect(at(0, 0).ok).toBe(true);
	});

	it('without an external cache on the peer (conntrackd injects into its kernel table) the kernel count is compared', () => {
		const kernelOnly = (kernel: number) => peer({ conntrack: { kernel, internal: 5, external: null } });
		expect(one(preflightChecks(pairModel(), state(), kernelOnly(1000), PEER), 'sync-parity')).toMatchObject({ ok: true, detail: '1000 connections here, 1000 on the peer' });
		expect(one(preflightChecks(pairModel(), state(), kernelOnly(500), PEER), 'sync-parity').ok).toBe(false);
	});

	it('parity fails when a count is missing on either side', () => {
		const noHere = one(preflightChecks(pairModel(), state({ conntrack: { kernel: 1000, internal: null, external: null } }), peer(), PEER), 'sync-parity');
		expect(noHere).toMatchObject({ ok: false, detail: expect.stringMatching(/conntrackd does not answer here/) });
		const noThere = one(preflightChecks(pairModel(), state(), peer({ conntrack: { kernel: null, internal: null, external: null } }), PEER), 'sync-parity');
		expect(noThere).toMatchObject({ ok: false, detail: expect.stringMatching(/peer did not say/) });
	});

	it('reports every failure at once', () => {
		const checks = preflightChecks(pairModel(), state({ role: 'BACKUP', keepalived: false }), peer({ role: 'MASTER', conntrackd: false }), PEER);
		expect(failed(checks).map((c) => c.check)).toEqual(['role', 'keepalived', 'peer-role', 'peer-conntrackd']);
	});
});

describe('parityTolerance', () => {
	it('is 16 connections, or 1 % of them when that is more', () => {
		expect(parityTolerance(0)).toBe(16);
		expect(parityTolerance(1600)).toBe(16);
		expect(parityTolerance(1601)).toBe(17);
		expect(parityTolerance(10_000)).toBe(100);
	});
});
