// The agent hears the peer's VRRP adverts through the counters of our table's accept rules.
import { describe, expect, it } from 'vitest';
import { vrrpPackets } from '../../../src/cli/agent.ts';

/** `nft list chain inet ha_router input` as nft prints it, with these counters (null: no counter). */
function chain(lan: number | null, guest: number | null, drop: number | null): string {
	const counter = (n: number | null) => (n === null ? '' : `counter packets ${n} bytes ${n * 40} `);
	return [
		'table inet ha_router {',
		'\tchain input {',
		'\t\ttype filter hook input priority filter - 1; policy accept;',
		`\t\tiifname "br-lan" ip saddr 192.168.1.3 meta l4proto vrrp ${counter(lan)}accept comment "!ha-router: VRRP lan from the peer"`,
		`\t\tiifname "br-guest" ip daddr 224.0.0.18 meta l4proto vrrp ${counter(guest)}accept comment "!ha-router: VRRP guest multicast"`,
		'\t\tiifname "eth2" ip saddr 10.255.0.2 udp dport 3780 accept comment "!ha-router: conntrackd sync from the peer"',
		'\t\tiifname "eth2" ip saddr 10.255.0.2 udp dport 4853 accept comment "!ha-router: peer agent"',
		`\t\tmeta l4proto vrrp ${counter(drop)}drop comment "!ha-router: VRRP from anyone but the peer"`,
		'\t\tudp dport 3780 counter packets 77 bytes 9000 drop comment "!ha-router: conntrackd sync from anyone but the peer"',
		'\t\tudp dport 4853 counter packets 55 bytes 3000 drop comment "!ha-router: peer agent port from anyone but the peer"',
		'\t}',
		'}',
		'',
	].join('\n');
}

describe('vrrpPackets', () => {
	it('sums the counters of the VRRP accept rules, not the drop rule nor other rules', () => {
		expect(vrrpPackets(chain(120, 7, 99_999))).toBe(127);
		expect(vrrpPackets(chain(120, 7, null))).toBe(127);
	});

	it('zero packets is a count, not an unknown', () => {
		expect(vrrpPackets(chain(0, 0, 5))).toBe(0);
	});

	it('null without counters on the accept rules (a table loaded before they had them), or without the table', () => {
		expect(vrrpPackets(chain(null, null, 5))).toBeNull();
		expect(vrrpPackets('')).toBeNull();
		expect(vrrpPackets('Error: No such file or directory\n')).toBeNull();
	});

	it('counts what a rule with a counter says when another has none', () => {
		expect(vrrpPackets(chain(null, 3, 5))).toBe(3);
	});
});
