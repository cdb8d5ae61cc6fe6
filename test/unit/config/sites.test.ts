// `config site`: two branches with the same client subnet become a Model with allocated numbers;
// every mistake is reported at once, each at its file:line, section and option, with its code.
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../../src/config/build-model.ts';
import { formatIssue } from '../../../src/config/issues.ts';
import { BASE, HA, NET, NETWORK } from './fixtures.ts';

const SITE_NET = `
config interface 'site10'
	option device 'site10'
	option proto 'static'
	option ipaddr '172.16.10.11/24'

config interface 'site20'
	option device 'site20'
	option proto 'static'
	option ipaddr '172.16.20.11/24'
`;

const site = (name: string, iface: string, subnet: string, mapped: string, gateway: string) =>
	`\nconfig site '${name}'\n\toption interface '${iface}'\n\toption subnet '${subnet}'\n\toption mapped '${mapped}'\n\toption gateway '${gateway}'\n`;

function build(sites: string, network = NETWORK + SITE_NET) {
	return buildModel({ haRouter: { path: HA, text: BASE + sites }, network: { path: NET, text: network } });
}

describe('config site', () => {
	it('two sites with the same client subnet: sorted by name, numbers from the scheme', () => {
		// 'south' is written first but sorts second.
		const r = build(site('south', 'site20', '10.0.0.0/24', '10.0.20.0/24', '172.16.20.2') + site('north', 'site10', '10.0.0.0/24', '10.0.10.0/24', '172.16.10.2'));
		expect(r.issues.filter((i) => i.severity === 'error').map(formatIssue)).toEqual([]);
		expect(r.model!.sites.map((s) => [s.name, s.device, `${s.subnet.address}/${s.subnet.prefix}`, `${s.mapped.address}/${s.mapped.prefix}`, s.gateway, s.zone, s.mark.toString(16), s.table, s.tableName, s.rulePref])).toEqual([
			['north', 'site10', '10.0.0.0/24', '10.0.10.0/24', '172.16.10.2', 0x4801, '1000000', 0x4801, 'ha_north', 0x4801],
			['south', 'site20', '10.0.0.0/24', '10.0.20.0/24', '172.16.20.2', 0x4802, '2000000', 0x4802, 'ha_south', 0x4802],
		]);
	});

	it('no site section: no sites, and the section type is no longer reserved', () => {
		const r = build('');
		expect(r.model!.sites).toEqual([]);
		expect(r.issues.map((i) => i.code)).not.toContain('RESERVED_SECTION');
	});

	it('reports every mistake of several sites in one run', () => {
		const sites =
			site('a', 'site10', '10.0.0.0/24', '10.0.10.0/24', '172.16.10.2') + // fine
			site('b', 'site10', '10.0.0.0/24', '10.0.10.128/25', '172.16.10.2') + // same interface, overlap, /25
			site('c', 'nope', '10.0.0.0/24', '192.168.1.0/24', '172.16.20.2') + // unknown interface, a real subnet
			site('d', 'site20', 'fd00::/64', '10.0.30.0/24', '172.16.99.2') + // IPv6 subnet, gateway off the link
			site('e', 'site20', '10.0.0.1/24', '10.0.0.0/24', '172.16.20.11') + // host bits, mapped = a client subnet, own address
			"\tlist subnte '1'\n"; // misspelt
		const r = build(sites);
		expect(r.model).toBeNull();
		expect(r.issues.filter((i) => i.severity === 'error').map(formatIssue)).toEqual([
			`${HA}:26: site 'b' option 'interface': 'site10' is already the interface of site 'a' (line 20); valid: the interface (VLAN or tunnel) only this site arrives on [SITE_IFACE_DUPLICATE]`,
			`${HA}:28: site 'b' option 'mapped': '10.0.10.128/25' is a /25 but subnet '10.0.0.0/24' is a /24; valid: a /24, so every client maps to one address [SITE_PREFIX_MISMATCH]`,
			`${HA}:28: site 'b' option 'mapped': '10.0.10.128/25' overlaps the mapped subnet of site 'a' (line 22); valid: a subnet used nowhere else, unique to this site [SITE_MAPPED_OVERLAP]`,
			`${HA}:32: site 'c' option 'interface': 'nope' is not an interface in ${NET}; valid: loopback, lan, wan, wan6, sync, site10, site20 [IFACE_UNKNOWN]`,
			`${HA}:34: site 'c' option 'mapped': '192.168.1.0/24' overlaps interface 'lan' (${NET} line 17) (192.168.1.0/24); valid: a subnet used nowhere else, unique to this site [SITE_MAPPED_REAL]`,
			`${HA}:39: site 'd' option 'subnet': 'fd00::/64' is IPv6; valid: an IPv4 prefix (sites are mapped IPv4 to IPv4) [SITE_FAMILY]`,
			`${HA}:41: site 'd' option 'gateway': '172.16.99.2' is outside interface 'site20' (172.16.20.11/24); valid: the site router's address in 172.16.20.11/24 [SITE_GATEWAY_OFF_SUBNET]`,
			`${HA}:44: site 'e' option 'interface': 'site20' is already the interface of site 'd' (line 38); valid: the interface (VLAN or tunnel) only this site arrives on [SITE_IFACE_DUPLICATE]`,
			`${HA}:45: site 'e' option 'subnet': '10.0.0.1/24' has host bits set; valid: the network address, '10.0.0.0/24' [SITE_HOST_BITS]`,
			`${HA}:46: site 'e' option 'mapped': '10.0.0.0/24' overlaps the client subnet of site 'a' (10.0.0.0/24); valid: a subnet used nowhere else, unique to this site [SITE_MAPPED_REAL]`,
			`${HA}:47: site 'e' option 'gateway': '172.16.20.11' is this node's own address; valid: the site router's address on 'site20' [SITE_GATEWAY_IS_SELF]`,
			`${HA}:48: site 'e' option 'subnte': unknown option; did you mean 'subnet'? [UNKNOWN_OPTION]`,
		]);
	});

	it('an anonymous site is refused: its name makes the routing table name', () => {
		const r = build("\nconfig site\n\toption interface 'site10'\n\toption subnet '10.0.0.0/24'\n\toption mapped '10.0.10.0/24'\n\toption gateway '172.16.10.2'\n");
		expect(r.issues.map((i) => i.code)).toContain('SECTION_NAME_REQUIRED');
	});

	it('a site on the sync interface or the WAN is refused', () => {
		const r = build(site('a', 'wan', '10.0.0.0/24', '10.0.10.0/24', '172.16.10.2'));
		expect(r.issues.filter((i) => i.code === 'SITE_IFACE_CONFLICT').map(formatIssue)).toEqual([
			`${HA}:20: site 'a' option 'interface': 'wan' is the shared WAN; valid: the interface (VLAN or tunnel) only this site arrives on [SITE_IFACE_CONFLICT]`,
		]);
	});
});
