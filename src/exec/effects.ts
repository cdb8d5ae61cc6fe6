// What the executor needs from the system, one method per step kind. exec/system-effects.ts
// wires it to the platform and the real tools; tests use a recording fake.
import type { Platform } from '../system/platform.ts';

export type ConntrackdOp = 'commit' | 'flush' | 'resync' | 'bulk' | 'shorten' | 'request';

export interface Effects {
	readonly platform: Platform;
	conntrackd(op: ConntrackdOp): Promise<void>;
	wanUp(): Promise<void>;
	/** Loads our nft table with the SNAT address of the known lease (none yet: no SNAT rule). */
	snatUpdate(): Promise<void>;
	wanDown(): Promise<void>;
	vipRouteSource(address: string, device: string, source: string): Promise<void>;
	vipRouteRestore(address: string, device: string): Promise<void>;
	/** Returns once the peer has left MASTER and finished its plan, or is silent; throws after timeoutMs. */
	peerLeftMaster(timeoutMs: number): Promise<void>;
}
