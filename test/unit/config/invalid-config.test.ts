// One mistake at a time on a valid configuration: each case expects exactly one error, at the
// right file, line, section and option, with its stable code. The same cases go through the
// check command, which must print that line, exit 1 and write nothing.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from '../../../src/cli/check.ts';
import type { UciEdit } from '../../../src/model/uci-edit.ts';
import { applyUciEdits } from '../../../src/config/apply-uci-edits.ts';
import { buildModel } from '../../../src/config/build-model.ts';
import { formatIssue } from '../../../src/config/issues.ts';
import { nodeRuntime, tempDir } from '../../support/node-runtime.ts';
import { BASE, HA, NET, NETWORK } from './fixtures.ts';

type Change = readonly UciEdit[] | ((text: string) => string);
/** [what, change to ha-router, expected 'file:line section option CODE', change to network] */
type Case = readonly [string, Change, string, Change?];

const set = (section: string, option: string, value: string): UciEdit => ({ op: 'set', section, option, value });
const list = (section: string, option: string, ...values: string[]): UciEdit => ({ op: 'list', section, option, values });
const del = (section: string, option?: string): UciEdit => (option === undefined ? { op: 'delete', section } : { op: 'delete', section, option });
const v2 = set('lan', 'version', '2');
/** An interface of /etc/config/network without a static address, on a port of its own. */
const GUEST = "\nconfig interface 'guest'\n\toption device 'eth3'\n\toption proto 'dhcp'\n";

const CASES: readonly Case[] = [
	// node
	['priority too low', [set('node', 'priority', '0')], 'ha-router:3 node priority PRIORITY_RANGE'],
	['priority too high', [set('node', 'priority', '255')], 'ha-router:3 node priority PRIORITY_RANGE'],
	['priority not a number', [set('node', 'priority', 'high')], 'ha-router:3 node priority NOT_A_NUMBER'],
	['unknown state', [set('node', 'state', 'primary')], 'ha-router:4 node state VALUE_NOT_ALLOWED'],
	['name missing', [del('node', 'name')], 'ha-router:1 node name OPTION_REQUIRED'],
	['name with a blank', [set('node', 'name', 'ha 1')], 'ha-router:2 node name NAME_INVALID'],
	['enabled not a boolean', [set('node', 'enabled', 'maybe')], 'ha-router:4 node enabled BOOL_INVALID'],
	['preempt_delay too long', [set('node', 'preempt_delay', '1001')], 'ha-router:4 node preempt_delay PREEMPT_DELAY_RANGE'],
	['split_brain_damping too long', [set('node', 'split_brain_damping', '3601')], 'ha-router:4 node split_brain_damping DAMPING_RANGE'],
	['split_brain_damping negative', [set('node', 'split_brain_damping', '-1')], 'ha-router:4 node split_brain_damping DAMPING_RANGE'],
	['unknown log level', [set('node', 'log_level', 'verbose')], 'ha-router:4 node log_level VALUE_NOT_ALLOWED'],
	['unknown platform', [set('node', 'platform', 'windows')], 'ha-router:4 node platform VALUE_NOT_ALLOWED'],
	['misspelt option', [set('node', 'prioirty', '100')], 'ha-router:4 node prioirty UNKNOWN_OPTION'],
	['service with a blank', [list('node', 'service', 'dns masq')], 'ha-router:4 node service SERVICE_INVALID'],
	// Refused by the runtime seam during a takeover: check must refuse it first.
	['service named ..', [list('node', 'service', '..')], 'ha-router:4 node service SERVICE_INVALID'],
	['service given as a path', [list('node', 'service', 'a/b')], 'ha-router:4 node service SERVICE_INVALID'],
	['service holding .. (rpcd rc refuses it)', [list('node', 'service', 'a..b')], 'ha-router:4 node service SERVICE_INVALID'],
	['service starting with a dot', [list('node', 'service', '.hidden')], 'ha-router:4 node service SERVICE_INVALID'],
	['list for a single value', [list('node', 'priority', '100')], 'ha-router:3 node priority OPTION_NOT_LIST'],
	['no node section', [del('node')], 'ha-router:0 - - SECTION_MISSING'],
	['two node sections', (t) => `${t}\nconfig node 'other'\n\toption name 'x'\n`, 'ha-router:19 other - SECTION_DUPLICATE'],
	// vrrp values
	['vrid too high', [set('lan', 'vrid', '300')], 'ha-router:7 lan vrid VRID_RANGE'],
	['vrid zero', [set('lan', 'vrid', '0')], 'ha-router:7 lan vrid VRID_RANGE'],
	['vrid not a number', [set('lan', 'vrid', 'x')], 'ha-router:7 lan vrid NOT_A_NUMBER'],
	['vrid missing', [del('lan', 'vrid')], 'ha-router:5 lan vrid OPTION_REQUIRED'],
	['interface missing', [del('lan', 'interface')], 'ha-router:5 lan interface OPTION_REQUIRED'],
	['interface unknown', [set('lan', 'interface', 'lna')], 'ha-router:6 lan interface IFACE_UNKNOWN'],
	['interface given as a device', [set('lan', 'interface', 'br-lan')], 'ha-router:6 lan interface IFACE_NAME_INVALID'],
	['interface without a static address', [set('lan', 'interface', 'guest')], 'ha-router:6 lan interface IFACE_NO_ADDRESS', (t) => `${t}${GUEST}`],
	['unknown version', [set('lan', 'version', '4')], 'ha-router:10 lan version VALUE_NOT_ALLOWED'],
	['advert_int too precise', [set('lan', 'advert_int', '0.001')], 'ha-router:10 lan advert_int ADVERT_INT_INVALID'],
	['advert_int too long for v3', [set('lan', 'advert_int', '41')], 'ha-router:10 lan advert_int ADVERT_INT_RANGE'],
	['advert_int zero', [set('lan', 'advert_int', '0')], 'ha-router:10 lan advert_int ADVERT_INT_RANGE'],
	['fractional advert_int for v2', [v2, set('lan', 'advert_int', '0.5')], 'ha-router:11 lan advert_int ADVERT_INT_RANGE'],
	['advert_int too long for v2', [v2, set('lan', 'advert_int', '256')], 'ha-router:11 lan advert_int ADVERT_INT_RANGE'],
	['authentication with v3', [set('lan', 'auth_type', 'pass'), set('lan', 'auth_pass', 'secret')], 'ha-router:10 lan auth_type AUTH_V3'],
	['auth_pass too long', [v2, set('lan', 'auth_type', 'pass'), set('lan', 'auth_pass', 'toolongpw')], 'ha-router:12 lan auth_pass AUTH_PASS_LENGTH'],
	['auth_pass missing', [v2, set('lan', 'auth_type', 'ah')], 'ha-router:5 lan auth_pass AUTH_PASS_MISSING'],
	['unknown auth_type', [v2, set('lan', 'auth_type', 'md5')], 'ha-router:11 lan auth_type VALUE_NOT_ALLOWED'],
	['auth_pass with a comment char', [v2, set('lan', 'auth_type', 'pass'), set('lan', 'auth_pass', 'a#b')], 'ha-router:12 lan auth_pass AUTH_PASS_CHARS'],
	// What the renderers cannot carry is refused here, with a position, not at apply time.
	['auth_pass with a control character', [v2, set('lan', 'auth_type', 'pass'), set('lan', 'auth_pass', 'a\x07b')], 'ha-router:12 lan auth_pass AUTH_PASS_CHARS'],
	['auth_pass with DEL', [v2, set('lan', 'auth_type', 'ah'), set('lan', 'auth_pass', 'a\x7fb')], 'ha-router:12 lan auth_pass AUTH_PASS_CHARS'],
	['track_interface with a quote', [list('lan', 'track_interface', 'eth"1')], 'ha-router:10 lan track_interface IFNAME_INVALID'],
	['track_interface with a backslash', [list('lan', 'track_interface', 'eth\\1')], 'ha-router:10 lan track_interface IFNAME_INVALID'],
	['lan device with a quote in network', [set('sync', 'enabled', '0')], 'ha-router:6 lan interface IFACE_DEVICE_INVALID', (t) => t.replace("option device 'br-lan'", 'option device \'br"lan\'')],
	['sync device conntrackd cannot read', [set('sync', 'interface', 'sync'), set('sync', 'peer', '10.99.0.2')], 'ha-router:16 sync interface IFACE_DEVICE_INVALID', (t) => t.replace("option device 'eth2'", "option device '2eth'")],
	['track_interface too long', [list('lan', 'track_interface', 'this-name-is-too-long')], 'ha-router:10 lan track_interface IFNAME_INVALID'],
	['anonymous vrrp section', (t) => `${t}\nconfig vrrp\n\toption interface 'sync'\n\toption vrid '9'\n\tlist vip '10.99.0.3'\n`, 'ha-router:19 @vrrp[1] - SECTION_NAME_REQUIRED'],
	['unknown section type', (t) => `${t}\nconfig vrp 'x'\n`, 'ha-router:19 x - UNKNOWN_SECTION_TYPE'],
	// vip
	['vip outside the subnet', [list('lan', 'vip', '192.168.2.1/24')], 'ha-router:8 lan vip VIP_OUTSIDE_SUBNET'],
	["vip is the node's own address", [list('lan', 'vip', '192.168.1.2/24')], 'ha-router:8 lan vip VIP_IS_LOCAL'],
	['vip prefix too long', [list('lan', 'vip', '192.168.1.1/33')], 'ha-router:8 lan vip VIP_INVALID'],
	['vip not an address', [list('lan', 'vip', 'gateway')], 'ha-router:8 lan vip VIP_INVALID'],
	['vip families mixed', [list('lan', 'vip', '192.168.1.1/24', 'fd00:1::1/64')], 'ha-router:8 lan vip MIXED_FAMILY'],
	['vip missing', [del('lan', 'vip')], 'ha-router:5 lan vip OPTION_REQUIRED'],
	['vip multicast', [list('lan', 'vip', '224.0.0.1/32 dev br-lan')], 'ha-router:8 lan vip VIP_INVALID'],
	['vip device with a blank', [list('lan', 'vip', '192.168.1.1/24 dev br lan')], 'ha-router:8 lan vip VIP_INVALID'],
	['vip device with a quote', [list('lan', 'vip', '192.168.1.1/24 dev br"lan')], 'ha-router:8 lan vip IFNAME_INVALID'],
	['IPv6 with VRRPv2', [v2, list('lan', 'vip', 'fd00:1::1/64'), del('lan', 'unicast_peer')], 'ha-router:9 lan version VRRP_V2_IPV6'],
	// unicast peers
	['peer is this node', [list('lan', 'unicast_peer', '192.168.1.2')], 'ha-router:9 lan unicast_peer PEER_IS_SELF'],
	['peer of the other family', [list('lan', 'unicast_peer', 'fd00:1::3')], 'ha-router:9 lan unicast_peer UNICAST_PEER_FAMILY'],
	['peer is the vip', [list('lan', 'unicast_peer', '192.168.1.1')], 'ha-router:9 lan unicast_peer PEER_IS_VIP'],
	['peer not an address', [list('lan', 'unicast_peer', '192.168.1.300')], 'ha-router:9 lan unicast_peer IP_INVALID'],
	// several instances
	[
		'vrid used twice on one interface',
		[{ op: 'section', type: 'vrrp', name: 'lan2' }, set('lan2', 'interface', 'lan'), set('lan2', 'vrid', '51'), list('lan2', 'vip', '192.168.1.254/24')],
		'ha-router:21 lan2 vrid VRID_CONFLICT',
	],
	[
		'vip in two instances',
		[{ op: 'section', type: 'vrrp', name: 'guest' }, set('guest', 'interface', 'lan'), set('guest', 'vrid', '52'), list('guest', 'vip', '192.168.1.1/24')],
		'ha-router:22 guest vip VIP_DUPLICATE',
	],
	// wan
	['multicast MAC', [set('wan', 'macaddr', '01:00:5e:00:00:01')], 'ha-router:13 wan macaddr MAC_MULTICAST'],
	['short MAC', [set('wan', 'macaddr', '02:00:00:00:00')], 'ha-router:13 wan macaddr MAC_INVALID'],
	['parent missing', [del('wan', 'parent')], 'ha-router:11 wan parent OPTION_REQUIRED'],
	['parent with a colon', [set('wan', 'parent', 'eth1:0')], 'ha-router:12 wan parent IFNAME_INVALID'],
	['macvlan named like its parent', [set('wan', 'device', 'eth1')], 'ha-router:14 wan device WAN_DEVICE_CONFLICT'],
	['macvlan named like the LAN bridge', [set('wan', 'device', 'br-lan')], 'ha-router:14 wan device WAN_DEVICE_CONFLICT'],
	['wan on the VRRP interface', [set('wan', 'interface', 'lan')], 'ha-router:14 wan interface WAN_IS_VRRP'],
	['macvlan with a quote', [set('wan', 'device', 'ha"wan')], 'ha-router:14 wan device IFNAME_INVALID'],
	['macvlan named like the logical wan', [set('wan', 'device', 'wan')], 'ha-router:14 wan device WAN_DEVICE_SECTION'],
	['macvlan named like another section', [set('wan', 'device', 'globals')], 'ha-router:14 wan device WAN_DEVICE_SECTION'],
	['the name apply needs to keep the macvlan up is taken', [], 'ha-router:11 wan device WAN_DEVICE_SECTION', (t) => `${t}\nconfig interface 'hawan_hold'\n\toption device 'eth3'\n\toption proto 'dhcp'\n`],
	['macvlan already defined in network', [], 'ha-router:11 wan device WAN_DEVICE_CONFLICT', (t) => `${t}\nconfig device\n\toption name 'hawan'\n\toption type '8021q'\n`],
	['macvlan named like the sync link', [set('sync', 'interface', 'sync'), set('sync', 'peer', '10.99.0.2'), set('wan', 'device', 'eth2')], 'ha-router:14 wan device WAN_DEVICE_CONFLICT'],
	['macvlan named lo', [set('wan', 'device', 'lo')], 'ha-router:14 wan device WAN_DEVICE_CONFLICT'],
	['wan interface is not an interface section', [set('wan', 'interface', 'globals')], 'ha-router:14 wan interface WAN_INTERFACE_SECTION'],
	// The WAN must not swallow an interface it does not own.
	['wan on the sync interface', [set('sync', 'interface', 'sync'), set('sync', 'peer', '10.99.0.2'), set('wan', 'interface', 'sync')], 'ha-router:14 wan interface WAN_IS_SYNC'],
	['wan on loopback', [set('wan', 'interface', 'loopback')], 'ha-router:14 wan interface WAN_IS_LOOPBACK'],
	['wan on an alias of the LAN', [set('wan', 'interface', 'lan6')], 'ha-router:14 wan interface WAN_IFACE_CONFLICT', (t) => `${t}\nconfig interface 'lan6'\n\toption device '@lan'\n\toption proto 'dhcpv6'\n`],
	['wan parent is the sync link', [set('sync', 'interface', 'sync'), set('sync', 'peer', '10.99.0.2'), set('wan', 'parent', 'eth2')], 'ha-router:12 wan parent WAN_PARENT_CONFLICT'],
	['wan parent is the LAN bridge', [set('wan', 'parent', 'br-lan')], 'ha-router:12 wan parent WAN_PARENT_CONFLICT'],
	['wan parent is a LAN bridge port', [set('wan', 'parent', 'lan2')], 'ha-router:12 wan parent WAN_PARENT_CONFLICT'],
	['wan parent is lo', [set('wan', 'parent', 'lo')], 'ha-router:12 wan parent WAN_PARENT_CONFLICT'],
	['unknown macvlan mode', [set('wan', 'mode', 'source')], 'ha-router:14 wan mode VALUE_NOT_ALLOWED'],
	['static WAN', [set('wan', 'proto', 'static')], 'ha-router:14 wan proto VALUE_NOT_ALLOWED'],
	['request_address incomplete', [set('wan', 'request_address', '10.0.0')], 'ha-router:14 wan request_address IPV4_INVALID'],
	['snat_source without prefix', [list('wan', 'snat_source', '192.168.1.0')], 'ha-router:14 wan snat_source CIDR_INVALID'],
	['two wan sections', (t) => `${t}\nconfig wan 'wan2'\n\toption parent 'eth3'\n\toption macaddr '02:00:00:00:00:02'\n\toption device 'hawan2'\n\toption interface 'wan2'\n`, 'ha-router:19 wan2 - SECTION_DUPLICATE'],
	// sync
	['sync peer is this node', [set('sync', 'peer', '192.168.1.2')], 'ha-router:17 sync peer SYNC_PEER_IS_SELF'],
	['sync peer missing', [del('sync', 'peer')], 'ha-router:15 sync peer SYNC_PEER_MISSING'],
	['sync port too high', [set('sync', 'port', '70000')], 'ha-router:18 sync port PORT_RANGE'],
	['unknown transport', [set('sync', 'transport', 'tcp')], 'ha-router:18 sync transport VALUE_NOT_ALLOWED'],
	['multicast group not multicast', [del('sync', 'peer'), set('sync', 'transport', 'multicast'), set('sync', 'group', '10.0.0.1')], 'ha-router:18 sync group SYNC_GROUP_NOT_MULTICAST'],
	['sync interface unknown', [set('sync', 'interface', 'nope')], 'ha-router:16 sync interface IFACE_UNKNOWN'],
	['external_cache not a boolean', [set('sync', 'external_cache', '2')], 'ha-router:18 sync external_cache BOOL_INVALID'],
	['sync over a DHCP interface', [set('sync', 'interface', 'guest')], 'ha-router:16 sync interface IFACE_NO_ADDRESS', (t) => `${t}${GUEST}`],
	// files
	['ha-router syntax error', (t) => t.replace("option vrid '51'", "option vrid '51' extra"), 'ha-router:7 - - UCI_SYNTAX'],
	['unterminated quote, reported where libuci hits EOF', (t) => t.replace("option vrid '51'", "option vrid '51"), 'ha-router:17 - - UCI_SYNTAX'],
	['network syntax error', [], 'network:3 - - UCI_SYNTAX', (t) => t.replace("option device 'lo'", 'option device lo lo')],
	['network missing', [], 'network:0 - - FILE_MISSING', () => '\0missing'],
	['lan without device', [set('sync', 'enabled', '0')], 'ha-router:6 lan interface IFACE_NO_DEVICE', (t) => t.replace("\toption device 'br-lan'\n", '')],
];

function change(text: string, file: string, c: Change | undefined): string {
	if (c === undefined) return text;
	return typeof c === 'function' ? c(text) : applyUciEdits(text, file, c);
}

function inputs(c: Case): { ha: string; net: string | null } {
	const net = change(NETWORK, NET, c[3]);
	return { ha: change(BASE, HA, c[1]), net: net === '\0missing' ? null : net };
}

const short = (i: { at: { file: string; line: number; section: string; option?: string }; code: string }) =>
	`${path.basename(i.at.file)}:${i.at.line} ${i.at.section || '-'} ${i.at.option ?? '-'} ${i.code}`;

describe('one mistake, one error', () => {
	it('has at least 50 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(50));
	it('starts from a configuration without errors', () => {
		const r = buildModel({ haRouter: { path: HA, text: BASE }, network: { path: NET, text: NETWORK } });
		expect(r.issues).toEqual([]);
	});
	it.each(CASES.map((c) => [c[0], c] as const))('%s', (_name, c) => {
		const { ha, net } = inputs(c);
		const r = buildModel({ haRouter: { path: HA, text: ha }, network: { path: NET, text: net } });
		expect(r.issues.filter((i) => i.severity === 'error').map(short)).toEqual([c[2]]);
		expect(r.model).toBeNull();
	});
});

describe('warnings that do not fail the check', () => {
	const warnings = (net: string) => {
		const r = buildModel({ haRouter: { path: HA, text: BASE }, network: { path: NET, text: net } });
		expect(r.model).not.toBeNull();
		return r.issues.map(formatIssue);
	};
	it('another interface on the WAN port would run on both nodes', () => {
		expect(warnings(NETWORK.replace("option device '@wan'", "option device 'eth1'"))).toEqual([
			`${HA}:12: wan 'wan' option 'parent': warning: interface 'wan6' (${NET} line 29) also sits on 'eth1' and would run on both nodes; move it onto the shared WAN (option device '@wan') or disable it [WAN_PARENT_SHARED]`,
		]);
	});
	it('so does one on a bridge holding the WAN port', () => {
		const net = `${NETWORK}\nconfig device\n\toption name 'br-guest'\n\toption type 'bridge'\n\tlist ports 'eth1'\n\nconfig interface 'guest'\n\toption device 'br-guest'\n\toption proto 'dhcp'\n`;
		expect(warnings(net)).toEqual([
			`${HA}:12: wan 'wan' option 'parent': warning: interface 'guest' (${NET} line 43) also sits on 'eth1' and would run on both nodes; move it onto the shared WAN (option device '@wan') or disable it [WAN_PARENT_SHARED]`,
		]);
	});
	it('an alias of the WAN interface follows the shared WAN and is fine', () => {
		expect(warnings(NETWORK)).toEqual([]);
	});
});

describe('check command on the same cases', () => {
	it.each(CASES.map((c) => [c[0], c] as const))('%s: prints the error, exits 1, writes nothing', async (_name, c) => {
		const { ha, net } = inputs(c);
		const dir = await tempDir();
		await mkdir(dir, { recursive: true });
		await writeFile(path.join(dir, 'ha-router'), ha);
		if (net !== null) await writeFile(path.join(dir, 'network'), net);
		const before = await snapshot(dir);
		const rt = nodeRuntime();
		expect(await check.run(rt, ['--config', dir])).toBe(1);
		const lines = rt.out.trimEnd().split('\n').filter((l) => !l.includes(': warning: '));
		expect(lines).toHaveLength(1);
		const [, file, line] = /^(\S+?):(\d+:)?/.exec(lines[0]!)!;
		expect(`${path.basename(file!)}:${line ?? '0:'}`).toBe(`${c[2].split(' ')[0]}:`);
		expect(lines[0]).toMatch(new RegExp(`\\[${c[2].split(' ')[3]}\\]$`));
		expect(rt.err).toMatch(/^ha-router check: configuration is invalid: 1 error, \d+ warnings?\n$/);
		expect(await snapshot(dir)).toEqual(before);
	});
});

async function snapshot(dir: string): Promise<Record<string, string>> {
	const out: Record<string, string> = {};
	for (const f of await readdir(dir)) out[f] = await readFile(path.join(dir, f), 'utf8');
	return out;
}
