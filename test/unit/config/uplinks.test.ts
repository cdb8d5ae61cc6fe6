// Issue 14's config: `config uplink` and `config uplink_rule` sections, checked like the rest (every
// mistake at once, each at its file:line with the option and what is valid), and built into the
// Model's uplinks with marks and tables from one scheme. No uplink section: the Model is unchanged.
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../../src/config/build-model.ts';
import { formatIssue } from '../../../src/config/issues.ts';
import { BASE, HA, NET, NETWORK } from './fixtures.ts';

const WAN2 = "\nconfig interface 'wan2'\n\toption device 'eth3'\n\toption proto 'dhcp'\n";
const build = (ha: string, net: string = NETWORK + WAN2) => buildModel({ haRouter: { path: HA, text: ha }, network: { path: NET, text: net } });
const errors = (ha: string, net?: string) =>
	build(ha, net)
		.issues.filter((i) => i.severity === 'error')
		.map(formatIssue);

/** Lines 19.. of the file: the BASE has 18 lines. */
const UPLINKS = `
config uplink 'isp1'
	option interface 'wan'
	option weight '2'
	list track_ip '192.0.2.53'

config uplink 'isp2'
	option interface 'wan2'
	option weight '1'
	option probe_interval '500'

config uplink_rule
	option name 'bank'
	list dest_ip '203.0.113.0/24'
	option proto 'tcp'
	list dest_port '443'
	option use 'isp2'
`;

describe('uplink sections', () => {
	it('build into the Model with marks and tables allocated by position, the shared WAN recognised', () => {
		const r = build(BASE + UPLINKS);
		expect(r.issues.map(formatIssue)).toEqual([]);
		const u = r.model!.uplinks!;
		expect(u.links.map((l) => [l.name, l.device, l.shared, l.weight, l.tier, l.mark, l.table])).toEqual([
			['isp1', 'hawan', true, 2, 0, 0x10000, 1801],
			['isp2', 'eth3', false, 1, 0, 0x20000, 1802],
		]);
		expect(u.links[0]!.health).toEqual({ targets: ['192.0.2.53'], method: 'icmp', port: 0, intervalMs: 200, size: 56, down: 3, up: 3, maxLoss: null, maxRttMs: null });
		expect(u.links[1]!.health.intervalMs).toBe(500);
		expect(u.rules).toMatchObject([{ index: 1, label: 'bank', family: 4, proto: 'tcp', destinations: [{ address: '203.0.113.0', prefix: 24 }], ports: ['443'], target: { kind: 'uplink', uplink: 'isp2' } }]);
		expect(u.snatSources).toEqual([{ address: '192.168.1.0', prefix: 24, family: 4 }]);
	});

	it('leave the Model without uplinks when there are none, and are no longer reserved', () => {
		const r = build(BASE);
		expect(r.model).not.toHaveProperty('uplinks');
		expect(build(BASE + UPLINKS).issues.map((i) => i.code)).not.toContain('RESERVED_SECTION');
	});

	it('a disabled uplink keeps its number: the next one does not move', () => {
		const r = build(BASE + UPLINKS.replace("option weight '2'", "option weight '2'\n\toption enabled '0'").replace("option use 'isp2'", "option use 'balanced'"));
		expect(r.issues.filter((i) => i.severity === 'error')).toEqual([]);
		expect(r.model!.uplinks!.links.map((l) => [l.name, l.mark, l.table])).toEqual([['isp2', 0x20000, 1802]]);
	});

	it('reports every mistake at once, each at its line and option with what is valid', () => {
		const bad = `
config uplink 'isp1'
	option interface 'wan'
	option weight '0'

config uplink 'isp2'
	option interface 'wna2'
	option weight '0'

config uplink 'isp1'
	option tier '1'

config uplink_rule
	list dest_ip 'fd00::/8'
	option use 'isp3'

config uplink_rule
	option use 'tier 7'
	list src_ip '10.0.0.0/8'
`;
		const out = errors(BASE + bad);
		expect(out).toEqual([
			`${HA}:21: uplink 'isp1' option 'weight': every enabled uplink has weight 0 (isp1, isp2), so no connection could be balanced; valid: at least one weight 1..1000 [WEIGHTS_ALL_ZERO]`,
			`${HA}:24: uplink 'isp2' option 'interface': 'wna2' is not an interface in ${NET}; did you mean 'wan2'? [IFACE_UNKNOWN]`,
			`${HA}:27: uplink 'isp1': uplink 'isp1' is already defined at line 19; valid: one section per uplink, each with its own name [UPLINK_DUPLICATE]`,
			`${HA}:31: uplink_rule '@uplink_rule[0]' option 'dest_ip': 'fd00::/8' is IPv6 but the rule is family 'ipv4'; valid: IPv4 prefixes, or a second rule with family 'ipv6' [PREFIX_FAMILY]`,
			`${HA}:32: uplink_rule '@uplink_rule[0]' option 'use': 'isp3' is not an uplink section; did you mean 'isp1'? [UPLINK_UNKNOWN]`,
			`${HA}:35: uplink_rule '@uplink_rule[1]' option 'use': no enabled uplink is in tier 7; valid: 'tier 0', 'tier 1', 'balanced' or an uplink name [TIER_UNKNOWN]`,
		]);
	});

	it('refuses bad values with the valid range', () => {
		const out = errors(BASE + UPLINKS.replace("option weight '1'", "option weight '1001'").replace("option name 'bank'", "option name 'a\"b'").replace("list dest_port '443'", "list dest_port '70000'").replace("option use 'isp2'", "option use 'a b'"));
		expect(out.map((l) => l.replace(/^.*\[(\w+)\]$/, '$1'))).toEqual(['WEIGHT_RANGE', 'NAME_INVALID', 'PORT_INVALID', 'USE_INVALID']);
		// The probes leave from the uplink's IPv4 address: an IPv6 target could never answer.
		expect(errors(BASE + UPLINKS.replace("list track_ip '192.0.2.53'", "list track_ip '2001:db8::53'"))).toEqual([
			`${HA}:22: uplink 'isp1' option 'track_ip': '2001:db8::53' is not an IPv4 address; valid: a.b.c.d [IPV4_INVALID]`,
		]);
		expect(out[0]).toContain("'1001' is out of range; valid: 0..1000");
	});

	it('takes a TCP or DNS probe with its default or given port, and quality limits', () => {
		const r = build(BASE + UPLINKS.replace("option weight '1'", "option weight '1'\n\toption track_method 'dns'\n\toption max_loss '20'\n\toption max_rtt '150'").replace("option weight '2'", "option weight '2'\n\toption track_method 'tcp'\n\toption track_port '80'"));
		expect(r.issues.map(formatIssue)).toEqual([]);
		expect(r.model!.uplinks!.links.map((l) => l.health)).toMatchObject([
			{ method: 'tcp', port: 80, maxLoss: null, maxRttMs: null },
			{ method: 'dns', port: 53, maxLoss: 20, maxRttMs: 150 },
		]);
		expect(build(BASE + UPLINKS.replace("option weight '2'", "option weight '2'\n\toption track_method 'tcp'")).model!.uplinks!.links[0]!.health.port).toBe(443);
	});

	it('refuses a port for ICMP, an unknown method and limits out of range', () => {
		const out = errors(BASE + UPLINKS.replace("option weight '2'", "option weight '2'\n\toption track_port '80'").replace("option weight '1'", "option weight '1'\n\toption track_method 'http'\n\toption max_loss '100'\n\toption max_rtt '0'"));
		expect(out.map((l) => l.replace(/^.*\[(\w+)\]$/, '$1'))).toEqual(['TRACK_PORT_WITHOUT_METHOD', 'VALUE_NOT_ALLOWED', 'MAX_LOSS_RANGE', 'MAX_RTT_RANGE']);
		expect(out[0]).toBe(`${HA}:22: uplink 'isp1' option 'track_port': an ICMP echo has no port; valid: track_method 'tcp' or 'dns' with track_port, or no track_port [TRACK_PORT_WITHOUT_METHOD]`);
	});

	it('an uplink on the LAN or the sync link, two on one interface, ports without tcp/udp', () => {
		const bad = UPLINKS.replace("option interface 'wan2'", "option interface 'lan'") + "\nconfig uplink 'isp3'\n\toption interface 'wan'\n\nconfig uplink 'isp4'\n\toption interface 'sync'\n\nconfig uplink_rule\n\tlist dest_port '53'\n\toption use 'balanced'\n";
		const codes = errors(BASE + bad).map((l) => l.replace(/^.*\[(\w+)\]$/, '$1'));
		expect(codes).toEqual(['UPLINK_IS_VRRP', 'UPLINK_IS_SYNC', 'UPLINK_INTERFACE_DUPLICATE', 'PORT_WITHOUT_PROTO']);
	});
});
