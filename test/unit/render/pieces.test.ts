// The small decisions inside the renderers, one by one.

import { describe, expect, it } from 'vitest';
import { pathsFor } from '../../../src/model/paths.ts';
import { conntrackdHashSizes, renderConntrackd } from '../../../src/render/conntrackd.ts';
import { renderDhcpEdits } from '../../../src/render/dhcp.ts';
import { renderFw4Input } from '../../../src/render/fw4-input.ts';
import { renderFirewallUci, renderKeepalivedUci } from '../../../src/render/glue.ts';
import { kaPath, kaQuoted, kaWord } from '../../../src/render/keepalived-text.ts';
import { SYNC_GROUP_NAME } from '../../../src/model/names.ts';
import { advertInt, renderKeepalived, renderKeepalivedWan } from '../../../src/render/keepalived.ts';
import { renderNetworkEdits } from '../../../src/render/network.ts';
import { deviceSectionName } from '../../../src/model/value-rules.ts';
import { renderNft } from '../../../src/render/nft.ts';
import { RenderError, commandLine } from '../../../src/render/text.ts';
import { group, model, node, sync, wan } from './models.ts';

const paths = pathsFor('');

describe('keepalived.conf', () => {
	it('advert_int: centiseconds for v3, whole seconds for v2', () => {
		expect(advertInt(group({ version: 3, advertIntMs: 100 }))).toBe('0.1');
		expect(advertInt(group({ version: 3, advertIntMs: 50 }))).toBe('0.05');
		expect(advertInt(group({ version: 3, advertIntMs: 1250 }))).toBe('1.25');
		expect(advertInt(group({ version: 3, advertIntMs: 3 }))).toBe('0.01');
		expect(advertInt(group({ version: 2, advertIntMs: 1000 }))).toBe('1');
		expect(advertInt(group({ version: 2, advertIntMs: 100 }))).toBe('1');
		expect(advertInt(group({ version: 2, advertIntMs: 3000 }))).toBe('3');
	});

	it('quotes what `#` or `!` would cut, and refuses what it cannot carry', () => {
		expect(kaWord('br-lan')).toBe('br-lan');
		expect(kaWord('a#b')).toBe('"a#b"');
		expect(kaWord('a b')).toBe('"a b"');
		expect(kaWord('@x')).toBe('"@x"');
		expect(kaQuoted('ab!cd')).toBe('"ab!cd"');
		expect(() => kaWord('a"b')).toThrow(RenderError);
		expect(() => kaQuoted('a\nb')).toThrow(RenderError);
		const pw = model({ groups: [group({ version: 2, auth: { type: 'pass', password: 'x"y' } })] });
		expect(() => renderKeepalived(pw, paths)).toThrow(RenderError);
	});

	it('asserts the rules validation enforces: nft strings and conntrackd interface words', () => {
		expect(() => renderNft(model({ wan: wan({ device: 'ha\\wan' }) }), { wanAddress: null })).toThrow(RenderError);
		expect(() => renderConntrackd(model({ sync: sync({ device: '2eth' }) }), paths, { conntrackMax: 65536 })).toThrow(RenderError);
		expect(renderConntrackd(model({ sync: sync({ device: 'eth2.5' }) }), paths, { conntrackMax: 65536 })).toContain('Interface eth2.5\n');
	});

	it('notify: the command and its argument in one double-quoted string; odd paths single-quoted', () => {
		expect(commandLine(['/usr/bin/ha-router', 'notify'])).toBe('/usr/bin/ha-router notify');
		expect(commandLine(['/opt/my tools/ha-router', 'notify'])).toBe("'/opt/my tools/ha-router' notify");
		expect(() => commandLine(["/it's"])).toThrow(RenderError);
		const text = renderKeepalived(model(), pathsFor('', undefined, ['/usr/bin/tjs', 'run', '/usr/share/ha-router/main.js']));
		expect(text).toContain('\tnotify "/usr/bin/tjs run /usr/share/ha-router/main.js notify"\n');
	});

	it('one group: notify on the instance, no sync group', () => {
		const text = renderKeepalived(model(), paths);
		expect(text).not.toContain('vrrp_sync_group');
		expect(text.match(/\bnotify /g)).toHaveLength(1);
	});

	it('several groups: notify only on the sync group, members in name order', () => {
		const text = renderKeepalived(model({ groups: [group({ name: 'b', vrid: 2 }), group({ name: 'a', vrid: 1 })] }), paths);
		expect(text.match(/\bnotify /g)).toHaveLength(1);
		const sync = text.slice(text.indexOf(`vrrp_sync_group ${SYNC_GROUP_NAME}`), text.indexOf('vrrp_instance'));
		expect(sync).toContain('\tnotify "/usr/bin/ha-router notify"');
		expect(sync).toContain('group {\n\t\ta\n\t\tb\n\t}');
		expect(text.indexOf('vrrp_instance a')).toBeLessThan(text.indexOf('vrrp_instance b'));
	});

	it('nopreempt and preempt_delay force initial state BACKUP', () => {
		expect(renderKeepalived(model({ node: node({ initialState: 'MASTER' }) }), paths)).toContain('\tstate MASTER\n');
		expect(renderKeepalived(model({ node: node({ initialState: 'MASTER', nopreempt: true }) }), paths)).toContain('\tstate BACKUP\n');
		const delayed = renderKeepalived(model({ node: node({ initialState: 'MASTER', preemptDelay: 5 }) }), paths);
		expect(delayed).toContain('\tstate BACKUP\n');
		expect(delayed).toContain('\tpreempt_delay 5\n');
	});

	it('no authentication block on VRRPv3', () => {
		const text = renderKeepalived(model({ groups: [group({ version: 3, auth: { type: 'pass', password: 'secret' } })] }), paths);
		expect(text).not.toContain('authentication {');
		expect(text).not.toContain('secret');
	});

	it('never tracks the instance\'s own device (a keepalived warning)', () => {
		const text = renderKeepalived(model({ groups: [group({ trackInterfaces: ['br-lan'] })] }), paths);
		expect(text).not.toContain('track_interface');
	});
});

describe("keepalived's WAN part", () => {
	const lease = { address: { address: '198.51.100.7', prefix: 24, family: 4 as const }, gateway: '198.51.100.1' };
	it('is a comment only while no IPv4 lease is known, or without a shared WAN', () => {
		for (const text of [renderKeepalivedWan(model(), null), renderKeepalivedWan(model({ wan: null }), lease), renderKeepalivedWan(model(), { address: { address: '2001:db8::7', prefix: 64, family: 6 }, gateway: null })]) {
			expect(text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual([]);
		}
	});
	it('has no default route for a lease without a gateway', () => {
		const text = renderKeepalivedWan(model(), { ...lease, gateway: null });
		expect(text).toContain('198.51.100.7/24 dev hawan');
		expect(text).not.toContain('virtual_routes');
	});
	it('is included by exactly one instance, also with a sync group', () => {
		const two = model({ groups: [group(), group({ name: 'guest', vrid: 52 })] });
		const p = pathsFor('');
		expect(renderKeepalived(two, p).split(`include ${p.keepalivedWan}`).length).toBe(2);
		expect(renderKeepalived(model({ wan: null }), p)).not.toContain('include');
	});
	it('include paths keepalived would glob or misread are refused', () => {
		expect(kaPath('/var/run/ha-router/keepalived-wan.conf')).toBe('/var/run/ha-router/keepalived-wan.conf');
		for (const bad of ['/tmp/a b/x.conf', '/tmp/*.conf', '/tmp/x#y']) expect(() => kaPath(bad)).toThrow(RenderError);
	});
});

describe('conntrackd.conf', () => {
	it('is absent without sync', () => {
		expect(renderConntrackd(model({ sync: null }), paths, { conntrackMax: 16384 })).toBeNull();
	});

	it('HashLimit is twice nf_conntrack_max, HashSize a power of two near a quarter', () => {
		expect(conntrackdHashSizes(16384)).toEqual({ max: 16384, hashSize: 4096, hashLimit: 32768 });
		expect(conntrackdHashSizes(31000)).toEqual({ max: 31000, hashSize: 8192, hashLimit: 62000 });
		expect(conntrackdHashSizes(0).hashLimit).toBe(2048);
		expect(conntrackdHashSizes(Number.NaN).hashLimit).toBe(131072);
	});
});

describe('nft ruleset', () => {
	it('starts with the header, then declares, deletes and makes the table again (one transaction)', () => {
		const lines = renderNft(model(), { wanAddress: '198.51.100.7' }).split('\n');
		expect(lines.slice(0, 4)).toEqual(['# generated by ha-router, do not edit', 'table inet ha_router {}', 'delete table inet ha_router', 'table inet ha_router {']);
	});

	it('SNAT only with a known address, and only for its family', () => {
		expect(renderNft(model(), { wanAddress: null })).not.toContain('snat');
		const v6 = renderNft(model({ wan: wan({ snatSources: [{ address: 'fd00:1::', prefix: 64, family: 6 }] }) }), { wanAddress: '198.51.100.7' });
		expect(v6).not.toContain(' snat ');
		expect(v6).toContain('not translated');
	});

	it('no WAN, no groups, no sync: just the empty table, nothing of an earlier load kept', () => {
		expect(renderNft(model({ wan: null, groups: [], sync: null }), { wanAddress: null })).toBe(
			'# generated by ha-router, do not edit\ntable inet ha_router {}\ndelete table inet ha_router\ntable inet ha_router {\n}\n',
		);
	});

	it('the fw4 include accepts what our own table admits, and drops nothing', () => {
		const rules = renderFw4Input(model());
		expect(rules).toContain('iifname "br-lan" ip saddr 192.168.1.3 meta l4proto 112 counter accept');
		expect(rules).toContain('iifname "eth2" ip saddr 10.255.0.2 udp dport 4853 accept');
		expect(rules).not.toContain('drop');
		const accepts = rules.split('\n').filter((l) => l.includes(' accept '));
		expect(accepts).toHaveLength(3);
		const table = renderNft(model(), { wanAddress: null });
		for (const rule of accepts) expect(table).toContain(`\t${rule}\n`);
	});

	it('VRRP accepts carry a counter (the agent reads it to hear the peer), unicast and multicast', () => {
		const two = model({ groups: [group(), group({ name: 'guest', device: 'br-guest', unicastPeers: ['192.168.2.3', 'fd00:2::3'] })] });
		const vrrp = renderFw4Input(two).split('\n').filter((l) => l.includes('meta l4proto'));
		expect(vrrp).toHaveLength(3);
		for (const rule of vrrp) expect(rule).toMatch(/ meta l4proto 112 counter accept comment "!ha-router: VRRP /);
		expect(renderFw4Input(model({ groups: [group({ unicastPeers: [] })] }))).toContain('ip daddr 224.0.0.18 meta l4proto 112 counter accept');
	});

	it('the peer agent port is admitted from the peer-link peer only, and dropped from anyone else', () => {
		const viaVrrp = model({ sync: null, groups: [group({ address: { address: 'fd00:1::2', prefix: 64, family: 6 }, unicastPeers: ['192.168.1.3', 'fd00:1::3'] })] });
		expect(renderFw4Input(viaVrrp)).toContain('iifname "br-lan" ip6 saddr fd00:1::3 udp dport 4853 accept comment "!ha-router: peer agent"');
		expect(renderNft(viaVrrp, { wanAddress: null })).toContain('udp dport 4853 counter drop');
		const none = model({ sync: sync({ transport: 'multicast', peerAddress: null }), groups: [group({ unicastPeers: [] })] });
		expect(renderFw4Input(none)).not.toContain('4853');
		expect(renderNft(none, { wanAddress: null })).not.toContain('4853');
	});

	it('AH is admitted with VRRPv2 auth ah', () => {
		const ah = model({ groups: [group({ version: 2, auth: { type: 'ah', password: 'x' } })] });
		expect(renderFw4Input(ah)).toContain('meta l4proto { 51, 112 } counter accept');
	});
});

describe('UCI edits', () => {
	it('network: named sections, so a second apply rewrites the same ones', () => {
		const edits = renderNetworkEdits(model({ wan: wan({ device: 'ha-wan' }) })).edits;
		expect(edits[0]).toEqual({ op: 'section', type: 'device', name: 'ha_wan' });
		expect(edits).toContainEqual({ op: 'set', section: 'ha_wan', option: 'name', value: 'ha-wan' });
		expect(edits).toContainEqual({ op: 'set', section: 'wan', option: 'auto', value: '0' });
		expect(deviceSectionName('wan.2')).toBe('wan_2');
		expect(renderNetworkEdits(model({ wan: null }))).toEqual({ package: 'network', edits: [] });
	});

	it('keepalived: enabled, with alt_config_file, in the section named globals (OpenWrt ships enabled 0)', () => {
		expect(renderKeepalivedUci(pathsFor(''))).toEqual({
			package: 'keepalived',
			edits: [
				{ op: 'section', type: 'globals', name: 'globals' },
				{ op: 'set', section: 'globals', option: 'enabled', value: '1' },
				{ op: 'set', section: 'globals', option: 'alt_config_file', value: '/etc/ha-router/keepalived.conf' },
			],
		});
	});

	it('firewall: two nftables includes, no script: our loaded table at the top level, the input rules in chain input', () => {
		expect(pathsFor('').fw4Input).toBe('/etc/ha-router/fw4-input.nft');
		expect(renderFirewallUci(pathsFor(''))).toEqual({
			package: 'firewall',
			edits: [
				{ op: 'section', type: 'include', name: 'ha_router' },
				{ op: 'set', section: 'ha_router', option: 'type', value: 'nftables' },
				{ op: 'set', section: 'ha_router', option: 'path', value: '/var/run/ha-router/table.nft' },
				{ op: 'set', section: 'ha_router', option: 'position', value: 'ruleset-post' },
				{ op: 'delete', section: 'ha_router', option: 'fw4_compatible' },
				{ op: 'section', type: 'include', name: 'ha_router_input' },
				{ op: 'set', section: 'ha_router_input', option: 'type', value: 'nftables' },
				{ op: 'set', section: 'ha_router_input', option: 'path', value: '/etc/ha-router/fw4-input.nft' },
				{ op: 'set', section: 'ha_router_input', option: 'position', value: 'chain-pre' },
				{ op: 'set', section: 'ha_router_input', option: 'chain', value: 'input' },
			],
		});
	});
});

describe('dhcp edits', () => {
	const DHCP = "config dnsmasq\n\toption domain 'lan'\n\nconfig dhcp\n\toption interface 'lan'\n\nconfig dhcp 'guest'\n\toption interface 'guest'\n\nconfig dhcp 'wan'\n\toption interface 'wan'\n\toption ignore '1'\n";
	it("force '1' on the DHCP sections of the VRRP interfaces only (anonymous ones by @dhcp[i]), while dnsmasq is a role service", () => {
		const m = model({ node: node({ services: ['dnsmasq'] }) });
		expect(m.groups.map((g) => g.interface)).toEqual(['lan']);
		expect(renderDhcpEdits(m, DHCP, 'dhcp')).toEqual({ package: 'dhcp', edits: [{ op: 'set', section: '@dhcp[0]', option: 'force', value: '1' }] });
		expect(renderDhcpEdits(model({ node: node({ services: ['odhcpd'] }) }), DHCP, 'dhcp').edits).toEqual([]);
		expect(renderDhcpEdits(m, null, 'dhcp').edits).toEqual([]);
	});
});
