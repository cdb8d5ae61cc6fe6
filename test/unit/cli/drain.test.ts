// The drain's pure parts: the preflight (every check, where the copies go), the rules it loads, and the count of
// connections still open here, from real `conntrack -L` lines.
import { describe, expect, it } from 'vitest';
import { drainChecks, drainedSubnets } from '../../../src/cli/drain.ts';
import { openConnections } from '../../../src/exec/drain.ts';
import type { PeerState } from '../../../src/peer/protocol.ts';
import { renderDrain } from '../../../src/render/drain.ts';
import { pairModel } from '../plan/fixture.ts';
import { peerState } from '../peer/peer-state.ts';

const PEER = '10.255.0.2';

const state = (over: Partial<PeerState> = {}): PeerState =>
	peerState({ uplink: { device: 'wan2', gateway: '100.64.0.1' }, addresses: ['192.168.1.2/24', '192.168.1.1/24', '10.255.0.1/30'], ...over });

/** The peer: BACKUP, its own uplink (wan2 via 100.64.1.1), an address on the LAN and on the sync link. */
const peer = (over: Partial<PeerState> = {}): PeerState =>
	state({ node: 'ha2', role: 'BACKUP', wanHeld: false, uplink: { device: 'wan2', gateway: '100.64.1.1' }, addresses: ['192.168.1.3/24', '10.255.0.2/30', '100.64.1.20/24'], ...over });

const failed = (r: ReturnType<typeof drainChecks>) => r.checks.filter((c) => !c.ok).map((c) => `${c.check}: ${c.detail}`);

describe('drainChecks', () => {
	it('a pair whose peer has its own uplink passes, and the copies go to its LAN address', () => {
		const r = drainChecks(pairModel(), state(), peer(), PEER, true);
		expect(failed(r)).toEqual([]);
		expect(r.checks.map((c) => c.check)).toEqual(['role', 'peer', 'peer-role', 'peer-uplink', 'peer-address lan']);
		expect(r.targets).toEqual([{ device: 'br-lan', peer: '192.168.1.3' }]);
		expect(r.peerAddresses).toEqual(['192.168.1.3', '10.255.0.2', '100.64.1.20']);
		expect(r.checks.find((c) => c.check === 'peer-uplink')!.detail).toBe("the peer's own uplink: wan2 via 100.64.1.1");
	});

	it('one target per IPv4 VRRP instance', () => {
		const r = drainChecks(pairModel({ groups: 2 }), state(), peer({ addresses: ['192.168.1.3/24', '192.168.2.3/24', '100.64.1.20/24'] }), PEER, true);
		expect(failed(r)).toEqual([]);
		expect(r.targets).toEqual([
			{ device: 'br-lan', peer: '192.168.1.3' },
			{ device: 'br-lan1', peer: '192.168.2.3' },
		]);
		expect(drainedSubnets(pairModel({ groups: 2 }))).toEqual([
			{ address: '192.168.1.0', prefix: 24, family: 4 },
			{ address: '192.168.2.0', prefix: 24, family: 4 },
		]);
	});

	it.each<[string, Partial<PeerState>, Partial<PeerState>, RegExp]>([
		['this node is BACKUP', { role: 'BACKUP' }, {}, /^role: this node is BACKUP: a drain starts on the MASTER$/],
		['the peer is MASTER too', {}, { role: 'MASTER' }, /^peer-role: the peer is MASTER: it must be BACKUP/],
		['the peer has no uplink of its own', {}, { uplink: null }, /^peer-uplink: the peer has no way out of its own .*'ha-router switchover' moves every connection instead$/],
		['the peer routes through our VIP', {}, { uplink: { device: 'br-lan', gateway: '192.168.1.1' } }, /^peer-uplink: the peer's default route goes through 192.168.1.1, this pair's own address/],
		['the peer is an older version', {}, { uplink: undefined, addresses: undefined }, /^peer-uplink: the peer's ha-router does not report its routes/],
		['the peer has no address on the LAN', {}, { addresses: ['10.255.0.2/30', '100.64.1.20/24'] }, /^peer-address lan: the peer has no address of its own in 192.168.1.0\/24 \(lan\)/],
	])('refuses when %s', (_, self, other, why) => {
		const r = drainChecks(pairModel(), state(self), peer(other), PEER, true);
		expect(failed(r)).toEqual([expect.stringMatching(why)]);
	});

	it('a VIP the peer reports (it should not hold one as BACKUP) is never a target', () => {
		const r = drainChecks(pairModel(), state(), peer({ addresses: ['192.168.1.1/24', '192.168.1.3/24', '100.64.1.20/24'] }), PEER, true);
		expect(r.targets).toEqual([{ device: 'br-lan', peer: '192.168.1.3' }]);
		expect(r.peerAddresses).not.toContain('192.168.1.1');
	});

	it('refuses when the peer is silent, or no peer is configured', () => {
		expect(failed(drainChecks(pairModel(), state(), null, PEER, true))).toEqual([expect.stringMatching(/^peer: the peer 10.255.0.2 does not answer on the peer link \(UDP 4853\)/)]);
		expect(failed(drainChecks(pairModel(), state(), null, null, true))).toEqual([expect.stringMatching(/^peer: no peer address is configured/)]);
	});

	it('refuses with nf_conntrack_tcp_loose off: the later packets would not follow the first', () => {
		expect(failed(drainChecks(pairModel(), state(), peer(), PEER, false))).toEqual([expect.stringMatching(/^tcp-loose: net.netfilter.nf_conntrack_tcp_loose is 0/)]);
	});
});

describe('renderDrain', () => {
	it('copies new connections and the synced ones of the peer and drops them here; copies invalid FIN/RST only', () => {
		expect(renderDrain([{ device: 'br-lan', peer: '192.168.1.3' }], ['192.168.1.3', '100.64.1.20'])).toBe(
			[
				'table ip ha_router_drain {}',
				'delete table ip ha_router_drain',
				'table ip ha_router_drain {',
				'\tchain prerouting {',
				'\t\ttype filter hook prerouting priority mangle; policy accept;',
				'\t\tiifname "br-lan" ip saddr != 192.168.1.3 fib daddr type unicast ct state new counter dup to 192.168.1.3 device "br-lan" drop comment "!ha-router: drain: new connections to the peer"',
				'\t\tiifname "br-lan" ip saddr != 192.168.1.3 fib daddr type unicast ct reply ip daddr { 192.168.1.3, 100.64.1.20 } counter dup to 192.168.1.3 device "br-lan" drop comment "!ha-router: drain: the peer\'s connections, synced here"',
				'\t\tiifname "br-lan" ip saddr != 192.168.1.3 fib daddr type unicast ct state invalid tcp flags & (fin | rst) != 0 dup to 192.168.1.3 device "br-lan" comment "!ha-router: drain: the peer\'s FIN and RST"',
				'\t}',
				'}',
				'',
			].join('\n'),
		);
	});

	it('refuses a device name nft cannot carry', () => {
		expect(() => renderDrain([{ device: 'br"lan', peer: '192.168.1.3' }], [])).toThrow(/nft cannot carry/);
	});
});

describe('openConnections', () => {
	// conntrack -L -f ipv4 -p tcp (conntrack-tools 1.4.7), as the master sees it during a drain.
	const LINES = [
		'tcp      6 431999 ESTABLISHED src=192.168.1.100 dst=203.0.113.10 sport=40000 dport=5001 src=203.0.113.10 dst=198.51.100.7 sport=5001 dport=40000 [ASSURED] mark=0 use=1',
		'tcp      6 56 CLOSE_WAIT src=192.168.1.101 dst=203.0.113.10 sport=40001 dport=443 src=203.0.113.10 dst=198.51.100.7 sport=443 dport=40001 [ASSURED] mark=0 use=1',
		'tcp      6 119 TIME_WAIT src=192.168.1.100 dst=203.0.113.10 sport=40002 dport=5001 src=203.0.113.10 dst=198.51.100.7 sport=5001 dport=40002 [ASSURED] mark=0 use=1',
		'tcp      6 10 CLOSE src=192.168.1.100 dst=203.0.113.10 sport=40003 dport=5001 src=203.0.113.10 dst=198.51.100.7 sport=5001 dport=40003 mark=0 use=1',
		// A session with the router itself (LuCI on the VIP): not forwarded.
		'tcp      6 7430 ESTABLISHED src=192.168.1.100 dst=192.168.1.1 sport=40004 dport=443 src=192.168.1.1 dst=192.168.1.100 sport=443 dport=40004 [ASSURED] mark=0 use=1',
		// The peer's connection, written here by conntrackd: its reply address is the peer's uplink.
		'tcp      6 431999 ESTABLISHED src=192.168.1.100 dst=203.0.113.10 sport=40005 dport=5003 src=203.0.113.10 dst=100.64.1.20 sport=5003 dport=40005 [ASSURED] mark=0 use=1',
		// From elsewhere (the sync link, the WAN): not a drained subnet.
		'tcp      6 431999 ESTABLISHED src=10.255.0.2 dst=203.0.113.10 sport=40006 dport=80 src=203.0.113.10 dst=198.51.100.7 sport=80 dport=40006 [ASSURED] mark=0 use=1',
		'',
	].join('\n');
	const subnets = [{ address: '192.168.1.0', prefix: 24, family: 4 as const }];

	it('counts the open forwarded TCP connections from the drained subnets, not the closed, local, or peer ones', () => {
		expect(openConnections(LINES, subnets, new Set(['192.168.1.1', '192.168.1.2']), new Set(['100.64.1.20']))).toBe(2);
	});

	it('without the peer known (drain status with no drain) the synced ones count too', () => {
		expect(openConnections(LINES, subnets, new Set(['192.168.1.1']), new Set())).toBe(3);
	});

	it('an empty table, or lines it does not know, count nothing', () => {
		expect(openConnections('', subnets, new Set(), new Set())).toBe(0);
		expect(openConnections('conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.\n', subnets, new Set(), new Set())).toBe(0);
	});
});
