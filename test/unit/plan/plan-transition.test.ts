import { describe, expect, it } from 'vitest';
import { parseEvent, type StateEvent } from '../../../src/plan/event.ts';
import { eventOwner, planTransition } from '../../../src/plan/plan-transition.ts';
import type { Step } from '../../../src/plan/steps.ts';
import { pairModel } from './fixture.ts';

const ev = (state: StateEvent['state'], name = 'lan', type: StateEvent['type'] = 'INSTANCE'): StateEvent => ({ type, name, state, priority: 150 });
const kinds = (steps: Step[]) => steps.map((s) => ('name' in s ? `${s.kind}:${s.name}` : 'address' in s ? `${s.kind}:${s.address}` : s.kind));

describe('parseEvent', () => {
	it("reads keepalived's generic notify arguments", () => {
		expect(parseEvent(['INSTANCE', 'lan', 'MASTER', '150'])).toEqual({ type: 'INSTANCE', name: 'lan', state: 'MASTER', priority: 150 });
		expect(parseEvent(['GROUP', 'ha_router', 'BACKUP', '0'])).toEqual({ type: 'GROUP', name: 'ha_router', state: 'BACKUP', priority: 0 });
		expect(parseEvent(['INSTANCE', 'lan', 'DELETED', '0'])).toMatchObject({ state: 'STOP' });
	});
	it('reads the seed-style words', () => {
		expect(parseEvent(['primary'])).toMatchObject({ type: 'SEED', state: 'MASTER' });
		expect(parseEvent(['backup'])).toMatchObject({ type: 'SEED', state: 'BACKUP' });
		expect(parseEvent(['fault'])).toMatchObject({ type: 'SEED', state: 'FAULT' });
	});
	it('refuses anything else with a reason, never a guess', () => {
		expect(parseEvent(['INSTANCE', 'lan', 'MASTR', '1'])).toMatch(/unknown state 'MASTR'/);
		expect(parseEvent(['THING', 'lan', 'MASTER', '1'])).toMatch(/unknown notify type/);
		expect(parseEvent(['INSTANCE', 'lan', 'MASTER', 'x'])).toMatch(/priority 'x'/);
		expect(parseEvent(['secondary'])).toMatch(/unknown state/);
		expect(parseEvent([])).toMatch(/got 0 argument/);
	});
});

describe('eventOwner', () => {
	it('accepts our single instance and refuses other names', () => {
		const m = pairModel();
		expect(eventOwner(m, ev('MASTER'))).toBe(true);
		expect(eventOwner(m, ev('MASTER', 'VI_other'))).toMatch(/not one of our VRRP instances \(lan\)/);
		expect(eventOwner(m, ev('MASTER', 'lan', 'GROUP'))).toMatch(/not one of our/);
	});
	it('with several instances, follows only the sync group', () => {
		const m = pairModel({ groups: 2 });
		expect(eventOwner(m, ev('MASTER', 'ha_router', 'GROUP'))).toBe(true);
		expect(eventOwner(m, ev('MASTER', 'lan'))).toMatch(/not our sync group/);
	});
	it('always accepts the seed forms', () => {
		expect(eventOwner(pairModel(), { type: 'SEED', name: '', state: 'BACKUP', priority: 0 })).toBe(true);
	});
});

describe('planTransition', () => {
	it('MASTER (states already in the kernel): WAN, SNAT, VIP routes, services in order, then cache housekeeping, hotplug last', () => {
		expect(kinds(planTransition(pairModel(), ev('MASTER')))).toEqual([
			'wan-up',
			'snat-update',
			'vip-route-source:192.168.1.1',
			'peer-left-master',
			'service-start:dnsmasq',
			'service-start:odhcpd',
			'service-start:miniupnpd',
			'conntrackd-flush-caches',
			'conntrackd-resync-kernel',
			'conntrackd-bulk-send',
			'hotplug-keepalived',
		]);
	});
	it('MASTER with the external cache commits synced connections before anything else', () => {
		expect(kinds(planTransition(pairModel({ externalCache: true }), ev('MASTER')))).toEqual([
			'conntrackd-commit',
			'conntrackd-flush-caches',
			'conntrackd-resync-kernel',
			'conntrackd-bulk-send',
			'wan-up',
			'snat-update',
			'vip-route-source:192.168.1.1',
			'peer-left-master',
			'service-start:dnsmasq',
			'service-start:odhcpd',
			'service-start:miniupnpd',
			'hotplug-keepalived',
		]);
	});
	it('BACKUP: WAN down first, services stop in reverse, routes restored, then conntrackd -t and -n', () => {
		expect(kinds(planTransition(pairModel(), ev('BACKUP')))).toEqual([
			'wan-down',
			'service-stop:miniupnpd',
			'service-stop:odhcpd',
			'service-stop:dnsmasq',
			'vip-route-restore:192.168.1.1',
			'conntrackd-shorten-timers',
			'conntrackd-request-resync',
			'hotplug-keepalived',
		]);
	});
	it('FAULT and STOP shorten timers but ask the peer for nothing', () => {
		for (const state of ['FAULT', 'STOP'] as const) {
			const k = kinds(planTransition(pairModel(), ev(state)));
			expect(k).toContain('conntrackd-shorten-timers');
			expect(k).not.toContain('conntrackd-request-resync');
			expect(k.at(-1)).toBe('hotplug-keepalived');
			expect(k[0]).toBe('wan-down');
		}
	});
	it('leaves out what the configuration does not have', () => {
		const m = pairModel({ sync: false, wan: false, routeFix: false, services: [] });
		expect(kinds(planTransition(m, ev('MASTER')))).toEqual(['hotplug-keepalived']);
		expect(kinds(planTransition(m, ev('BACKUP')))).toEqual(['hotplug-keepalived']);
	});
	it('passes ACTION, TYPE and NAME to hotplug as OpenWrt keepalived does', () => {
		const last = (s: Step[]) => s.at(-1) as Extract<Step, { kind: 'hotplug-keepalived' }>;
		expect(last(planTransition(pairModel(), ev('MASTER'))).env).toEqual({ ACTION: 'NOTIFY_MASTER', TYPE: 'INSTANCE', NAME: 'lan' });
		expect(last(planTransition(pairModel({ groups: 2 }), ev('FAULT', 'ha_router', 'GROUP'))).env).toEqual({ ACTION: 'NOTIFY_FAULT', TYPE: 'GROUP', NAME: 'ha_router' });
		expect(last(planTransition(pairModel(), { type: 'SEED', name: '', state: 'STOP', priority: 0 })).env).toEqual({ ACTION: 'NOTIFY_STOP', TYPE: 'INSTANCE', NAME: 'lan' });
	});
	it('every step continues on error, so a transition never stops half way', () => {
		for (const state of ['MASTER', 'BACKUP', 'FAULT', 'STOP'] as const) {
			for (const s of planTransition(pairModel({ groups: 2, externalCache: true }), ev(state, 'ha_router', 'GROUP'))) {
				expect(s.onError).toBe('continue');
				expect(s.timeoutMs).toBeGreaterThan(0);
				expect(s.why.length).toBeGreaterThan(10);
			}
		}
	});
	it('is deterministic', () => {
		expect(planTransition(pairModel(), ev('MASTER'))).toEqual(planTransition(pairModel(), ev('MASTER')));
	});
});
