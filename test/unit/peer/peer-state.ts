// A PeerState as `localState` or the peer's reply says it: a healthy MASTER named ha1 unless `over` says otherwise.
import type { PeerState } from '../../../src/peer/protocol.ts';

export function peerState(over: Partial<PeerState> = {}): PeerState {
	return {
		node: 'ha1',
		role: 'MASTER',
		settled: true,
		priority: 150,
		nopreempt: false,
		preemptDelay: 0,
		demoted: null,
		keepalived: true,
		conntrackd: true,
		conntrack: { kernel: 1010, internal: 1000, external: null },
		lease: null,
		wanHeld: true,
		splitBrains: 0,
		...over,
	};
}
