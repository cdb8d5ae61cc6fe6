// ha-router's promises for a scenario's result, asserted the same way whichever stack ran it
// (the linux platform in ha-router.test.ts, the openwrt one in openwrt.test.ts).
import { expect } from 'vitest';
import type { ScenarioResult } from './scenarios.ts';

/** A master crash or LAN fault: r1 takes over with every stream, the same WAN address and sole role. */
export function expectTakeover(r: ScenarioResult, streams: number): void {
	expect(r.notes).toEqual([]);
	expect(r.masterAfter).toBe('r1');
	expect(r.wanAfter).toBe(r.wanBefore);
	const tcp = r.traffic!.tcp;
	expect(tcp.reset).toBe(0);
	expect(tcp.bytesMismatched).toBe(0);
	expect(tcp.survived).toBe(streams);
	expect(r.flowsAtTakeover).toBe(streams);
	expect(r.doubleMasterMs).toBe(0);
	expect(r.roleHolders).toEqual(['r1']);
	expect(r.vipLocalRoutes).toEqual(['r1']);
}

/** keepalived stopped on the master: its STOP transition ran to its end, the WAN and role services only on r1. */
export function expectCleanStop(r: ScenarioResult, streams: number): void {
	expect(r.notes).toEqual([]);
	expect(r.masterAfter).toBe('r1');
	expect(r.traffic!.tcp.reset).toBe(0);
	expect(r.traffic!.tcp.survived).toBe(streams);
	expect(r.wanHolders).toEqual(['r1']);
	expect(r.roleHolders).toEqual(['r1']);
	expect(r.vipLocalRoutes).toEqual(['r1']);
}

/** Both nodes booted at once: one master, role services (DHCP) on it alone at every moment. */
export function expectOneRoleHolder(r: ScenarioResult): void {
	expect(r.notes).toEqual([]);
	// Only the master may answer ARP for the VIP (a stale local route on the backup black-holes the LAN).
	expect(r.vipLocalRoutes).toEqual(r.masterAfter ? [r.masterAfter] : []);
	expect(r.roleHolders).toHaveLength(1);
	expect(r.roleHoldersMax).toBe(1);
	expect(r.wanHolders).toEqual(r.roleHolders);
}
