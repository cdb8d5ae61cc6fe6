// Cross-field rules, one small named function per invariant, run in this order. Each one reports
// through the context and never stops the others; a rule skips values that already failed their
// own check (they are absent from ReadSection.values).

import type { Cidr } from '../model/types.ts';
import { wanHoldInterface } from '../model/names.ts';
import { conntrackdCarriesDevice, deviceSectionName, USABLE_DEVICE, usableDevice } from '../model/value-rules.ts';
import { didYouMean } from './did-you-mean.ts';
import { shown } from '../util/shown.ts';
import { type Ip, formatIp, inSubnet, isMulticast, isUnusable, networkOf, sameIp, toIp } from './ip.ts';
import type { NetInterface } from './network.ts';
import type { ReadSection } from './read-sections.ts';
import type { GroupFacts, Rule, RuleContext } from './rule-context.ts';
import { findOption } from './uci-names.ts';
import type { BackendSpec, VipSpec } from './values.ts';
import { UPLINK_RULES } from './uplink-rules.ts';

const v = <T>(r: ReadSection | undefined, option: string): T | undefined => r?.values.get(option) as T | undefined;
const cidrText = (c: Cidr) => `${c.address}/${c.prefix}`;
const vipText = (x: VipSpec) => `${formatIp(x.ip)}${x.prefix === null ? '' : `/${x.prefix}`}${x.device ? ` dev ${x.device}` : ''}`;
const fam = (f: number) => (f === 4 ? 'IPv4' : 'IPv6');

/** The interface a section names, reporting when /etc/config/network lacks it or gives it no device. */
function resolveInterface(ctx: RuleContext, r: ReadSection): NetInterface | undefined {
	const name = v<string>(r, 'interface');
	if (name === undefined || ctx.network === null) return undefined;
	const iface = ctx.network.get(name);
	if (!iface) {
		const hint = didYouMean(name, [...ctx.network.keys()]);
		const known = [...ctx.network.keys()].join(', ') || 'none';
		ctx.error('IFACE_UNKNOWN', r.at('interface'), `'${shown(name)}' is not an interface in ${ctx.networkFile}; ${hint ? `did you mean '${hint}'?` : `valid: ${known}`}`, name);
		return undefined;
	}
	if (iface.device === null) ctx.error('IFACE_NO_DEVICE', r.at('interface'), `interface '${name}' has no device or ifname in ${ctx.networkFile} (line ${iface.line})`, name);
	return iface;
}

function vrrpInterfaceResolves(ctx: RuleContext): void {
	for (const g of ctx.groups) {
		const iface = resolveInterface(ctx, g.read);
		if (iface && !g.address) {
			ctx.error('IFACE_NO_ADDRESS', g.read.at('interface'), `interface '${iface.name}' has no static ${fam(g.family)} address in ${ctx.networkFile} (line ${iface.line}, proto '${iface.proto}'); VRRP needs this node's own address`, iface.name);
		}
	}
}

/** The devices of the VRRP and sync interfaces go into keepalived.conf, nft and conntrackd.conf. */
function interfaceDevicesCarriable(ctx: RuleContext): void {
	const refuse = (r: ReadSection, i: NetInterface, why: string, valid: string) =>
		ctx.error('IFACE_DEVICE_INVALID', r.at('interface'), `interface '${i.name}' is on device '${shown(i.device!)}' (${ctx.networkFile} line ${i.line}), which ${why}; valid: ${valid}`, i.name);
	for (const g of ctx.groups) {
		if (g.iface?.device && !usableDevice(g.iface.device)) refuse(g.read, g.iface, 'keepalived.conf and nft cannot carry', USABLE_DEVICE);
	}
	const sync = ctx.network?.get(v<string>(ctx.sync, 'interface') ?? '');
	if (!ctx.sync || !sync?.device) return;
	if (!usableDevice(sync.device)) refuse(ctx.sync, sync, 'nft cannot carry', USABLE_DEVICE);
	else if (!conntrackdCarriesDevice(sync.device)) refuse(ctx.sync, sync, 'conntrackd.conf cannot read', "a name starting with a letter, then letters, digits, '.', '_' or '-'");
}

function vipsOneFamily(ctx: RuleContext): void {
	for (const g of ctx.groups) {
		const other = g.vips.find((x) => x.ip.family !== g.family);
		if (other) ctx.error('MIXED_FAMILY', g.read.at('vip'), `'${vipText(other)}' is ${fam(other.ip.family)} but the instance is ${fam(g.family)}; valid: one address family per vrrp section (make a second section for the other)`, vipText(other));
	}
}

function vipsUsable(ctx: RuleContext): void {
	for (const g of ctx.groups) {
		for (const x of g.vips) {
			if (isUnusable(x.ip)) ctx.error('VIP_INVALID', g.read.at('vip'), `'${vipText(x)}' cannot be a host address; valid: a unicast address`, vipText(x));
		}
	}
}

function vipsInsideInterfaceSubnet(ctx: RuleContext): void {
	for (const g of ctx.groups) {
		if (!g.iface || !g.address) continue;
		const nets = g.family === 4 ? g.iface.ipv4 : g.iface.ipv6;
		for (const x of g.vips) {
			if (x.device !== null || x.ip.family !== g.family || isUnusable(x.ip)) continue;
			if (!nets.some((n) => inSubnet(x.ip, n))) {
				ctx.error('VIP_OUTSIDE_SUBNET', g.read.at('vip'), `'${vipText(x)}' is outside interface '${g.iface.name}' (${nets.map(cidrText).join(', ')}); valid: an address in ${nets.map(cidrText).join(' or ')}, or add ' dev <device>'`, vipText(x));
			}
		}
	}
}

function vipIsNotOwnAddress(ctx: RuleContext): void {
	for (const g of ctx.groups) {
		if (!g.iface) continue;
		for (const x of g.vips) {
			if ([...g.iface.ipv4, ...g.iface.ipv6].some((c) => sameIp(toIp(c), x.ip))) {
				ctx.error('VIP_IS_LOCAL', g.read.at('vip'), `'${vipText(x)}' is this node's own address on '${g.iface.name}'; valid: an address no node owns`, vipText(x));
			}
		}
	}
}

function vipsUnique(ctx: RuleContext): void {
	const seen: { ip: Ip; group: string }[] = [];
	for (const g of ctx.groups) {
		for (const x of g.vips) {
			const dup = seen.find((s) => sameIp(s.ip, x.ip));
			if (dup) ctx.error('VIP_DUPLICATE', g.read.at('vip'), `'${formatIp(x.ip)}' is already a virtual address of vrrp '${dup.group}'`, formatIp(x.ip));
			else seen.push({ ip: x.ip, group: g.name });
		}
	}
}

function unicastPeersMatchFamily(ctx: RuleContext): void {
	for (const g of ctx.groups) {
		for (const p of g.peers) {
			if (p.family !== g.family) ctx.error('UNICAST_PEER_FAMILY', g.read.at('unicast_peer'), `'${formatIp(p)}' is ${fam(p.family)} but the instance sends from an ${fam(g.family)} address; valid: an ${fam(g.family)} peer`, formatIp(p));
		}
	}
}

function unicastPeerIsNotSelf(ctx: RuleContext): void {
	for (const g of ctx.groups) {
		const seen: Ip[] = [];
		for (const p of g.peers) {
			const own = g.iface ? [...g.iface.ipv4, ...g.iface.ipv6].some((c) => sameIp(toIp(c), p)) : false;
			if (own) ctx.error('PEER_IS_SELF', g.read.at('unicast_peer'), `'${formatIp(p)}' is this node's own address; valid: the other node's address on '${g.iface!.name}'`, formatIp(p));
			if (g.vips.some((x) => sameIp(x.ip, p))) ctx.error('PEER_IS_VIP', g.read.at('unicast_peer'), `'${formatIp(p)}' is a virtual address of this instance; valid: the other node's own address`, formatIp(p));
			if (seen.some((s) => sameIp(s, p))) ctx.warn('PEER_DUPLICATE', g.read.at('unicast_peer'), `'${formatIp(p)}' is listed twice`, formatIp(p));
			seen.push(p);
		}
	}
}

function unicastPeerOnSubnet(ctx: RuleContext): void {
	for (const g of ctx.groups) {
		if (!g.iface) continue;
		const nets = g.family === 4 ? g.iface.ipv4 : g.iface.ipv6;
		for (const p of g.peers) {
			if (p.family === g.family && nets.length > 0 && !nets.some((n) => inSubnet(p, n))) {
				ctx.warn('PEER_OFF_SUBNET', g.read.at('unicast_peer'), `'${formatIp(p)}' is outside interface '${g.iface.name}' (${nets.map(cidrText).join(', ')}); adverts to it need a route`, formatIp(p));
			}
		}
	}
}

function vridUniquePerInterfaceAndFamily(ctx: RuleContext): void {
	const seen = new Map<string, GroupFacts>();
	for (const g of ctx.groups) {
		const vrid = v<number>(g.read, 'vrid');
		const iface = v<string>(g.read, 'interface');
		if (vrid === undefined || iface === undefined) continue;
		const key = `${iface}/${g.family}/${vrid}`;
		const first = seen.get(key);
		if (first) ctx.error('VRID_CONFLICT', g.read.at('vrid'), `'${vrid}' is already used by vrrp '${first.name}' on interface '${iface}' (line ${first.read.at('vrid').line}); valid: a vrid unique per interface and address family`, String(vrid));
		else seen.set(key, g);
	}
}

function advertIntMatchesVersion(ctx: RuleContext): void {
	for (const g of ctx.groups) {
		const cs = v<number>(g.read, 'advert_int');
		const version = v<string>(g.read, 'version');
		if (cs === undefined || version === undefined) continue;
		const raw = g.read.raw('advert_int') ?? String(cs / 100);
		if (version === '3' && (cs < 1 || cs > 4095)) ctx.error('ADVERT_INT_RANGE', g.read.at('advert_int'), `'${raw}' is out of range for VRRPv3; valid: 0.01..40.95 in 0.01 steps`, raw);
		if (version === '2' && (cs % 100 !== 0 || cs < 100 || cs > 25500)) ctx.error('ADVERT_INT_RANGE', g.read.at('advert_int'), `'${raw}' is out of range for VRRPv2; valid: whole seconds 1..255`, raw);
	}
}

function v2IsIpv4Only(ctx: RuleContext): void {
	for (const g of ctx.groups) {
		if (v<string>(g.read, 'version') === '2' && g.family === 6) ctx.error('VRRP_V2_IPV6', g.read.at('version'), `'2' cannot carry IPv6 addresses; valid: version '3' for IPv6`, '2');
	}
}

function authMatchesVersion(ctx: RuleContext): void {
	for (const g of ctx.groups) {
		const type = v<string>(g.read, 'auth_type');
		const version = v<string>(g.read, 'version');
		const pass = v<string | null>(g.read, 'auth_pass');
		if (type === undefined) continue;
		if (type === 'none') {
			if (pass) ctx.warn('AUTH_PASS_IGNORED', g.read.at('auth_pass'), "is ignored with auth_type 'none'");
			continue;
		}
		if (version === '3') ctx.error('AUTH_V3', g.read.at('auth_type'), `'${type}' is not available in VRRPv3; valid: 'none', or version '2'`, type);
		if (pass === null) {
			ctx.error('AUTH_PASS_MISSING', g.read.at('auth_pass'), `auth_type '${type}' needs an auth_pass of 1..8 characters`);
		} else if (pass !== undefined) {
			if (pass.length > 8) ctx.error('AUTH_PASS_LENGTH', g.read.at('auth_pass'), `is ${pass.length} characters long; valid: 1..8 characters (keepalived cuts the rest)`);
			// keepalived.conf treats '#' and '!' as comments, splits words at blanks and quotes, and has no escapes.
			if (/[\s#!"'\x00-\x1f\x7f]/.test(pass)) ctx.error('AUTH_PASS_CHARS', g.read.at('auth_pass'), "contains a blank, quote, control character, '#' or '!' that keepalived.conf cannot hold; valid: other printable characters");
		}
	}
}

function nopreemptNeedsBackupState(ctx: RuleContext): void {
	const n = ctx.node;
	if (v<boolean>(n, 'nopreempt') !== true) return;
	if (v<string>(n, 'state') === 'master') ctx.warn('NOPREEMPT_MASTER', n!.at('state'), "'master' disables nopreempt (keepalived clears it); use state 'backup' on both nodes", 'master');
	if ((v<number>(n, 'preempt_delay') ?? 0) > 0) ctx.warn('PREEMPT_DELAY_IGNORED', n!.at('preempt_delay'), 'has no effect together with nopreempt');
}

/** Interfaces the pair needs for itself: a WAN taking one (or its device, or a port) would swallow it. */
function ownedLinks(ctx: RuleContext): { what: string; iface: NetInterface }[] {
	const out: { what: string; iface: NetInterface }[] = [];
	for (const g of ctx.groups) if (g.iface) out.push({ what: `vrrp '${g.name}'`, iface: g.iface });
	const sync = ctx.network?.get(v<string>(ctx.sync, 'interface') ?? '');
	if (sync) out.push({ what: `the sync interface '${sync.name}'`, iface: sync });
	for (const i of ctx.network?.values() ?? []) if (i.name === 'loopback' || i.device === 'lo') out.push({ what: `the loopback interface '${i.name}'`, iface: i });
	return out;
}

/** Whether a device is an interface's own device or one of its bridge ports. */
const onLink = (device: string, i: NetInterface) => i.device === device || i.ports.includes(device);

/** How a device belongs to an interface, for messages. */
const linkText = (device: string, i: NetInterface) => (i.device === device ? `the device of` : `a port of '${i.device}', the device of`);

function wanOwnsItsInterface(ctx: RuleContext): void {
	const name = v<string>(ctx.wan, 'interface');
	if (name === undefined) return;
	const at = ctx.wan!.at('interface');
	const valid = 'valid: the logical interface ha-router brings up on the MASTER only';
	const g = ctx.groups.find((x) => v<string>(x.read, 'interface') === name);
	if (g) return ctx.error('WAN_IS_VRRP', at, `'${name}' is also the interface of vrrp '${g.name}'; ${valid}`, name);
	if (v<string>(ctx.sync, 'interface') === name) return ctx.error('WAN_IS_SYNC', at, `'${name}' is the sync interface; ${valid}`, name);
	const iface = ctx.network?.get(name);
	if (name === 'loopback' || iface?.device === 'lo') return ctx.error('WAN_IS_LOOPBACK', at, `'${name}' is the loopback interface; ${valid}`, name);
	const other = ctx.networkSections.find((s) => !s.anonymous && s.name === name && s.type !== 'interface');
	if (other) return ctx.error('WAN_INTERFACE_SECTION', at, `'${name}' is a '${other.type}' section in ${ctx.networkFile} (line ${other.line}), not an interface; ${valid}`, name);
	const device = iface?.device;
	const link = device ? ownedLinks(ctx).find((l) => onLink(device, l.iface)) : undefined;
	if (device && link) ctx.error('WAN_IFACE_CONFLICT', at, `'${name}' is on '${device}', ${linkText(device, link.iface)} ${link.what}; ${valid}`, name);
}

function wanDeviceIsNew(ctx: RuleContext): void {
	const device = v<string>(ctx.wan, 'device');
	if (device === undefined) return;
	const at = ctx.wan!.at('device');
	const valid = "valid: a new name for the macvlan, e.g. 'hawan'";
	if (device === v<string>(ctx.wan, 'parent')) return ctx.error('WAN_DEVICE_CONFLICT', at, `'${device}' is also the parent; ${valid}`, device);
	const wanName = v<string>(ctx.wan, 'interface');
	// apply writes an interface of this name to keep the device up (render/network.ts): ours, or free.
	const hold = wanHoldInterface(device);
	const held = ctx.networkSections.find((s) => !s.anonymous && s.name === hold);
	if (held && (held.type !== 'interface' || (findOption(held, 'device')?.values[0] ?? device) !== device)) {
		return ctx.error('WAN_DEVICE_SECTION', at, `'${device}' needs section '${hold}' of ${ctx.networkFile} for itself, but it is already a '${held.type}' section (line ${held.line}) for something else; ${valid}`, device);
	}
	for (const i of ctx.network?.values() ?? []) {
		if (i.name === wanName || i.alias === wanName || i.name === hold || !onLink(device, i)) continue;
		return ctx.error('WAN_DEVICE_CONFLICT', at, `'${device}' is already ${linkText(device, i)} interface '${i.name}' (${ctx.networkFile} line ${i.line}); ${valid}`, device);
	}
	// apply writes the macvlan as `config device '<name>'`: that name must be free or ours already.
	const name = deviceSectionName(device);
	const sec = ctx.networkSections.find((s) => !s.anonymous && s.name === name);
	if (sec && sec.type !== 'device') return ctx.error('WAN_DEVICE_SECTION', at, `'${device}' would become section '${name}' of ${ctx.networkFile}, which is already a section of type '${sec.type}' (line ${sec.line}); ${valid}`, device);
	const defined = ctx.networkSections.find((s) => s.type === 'device' && (s === sec ? findOption(s, 'name')?.values[0] !== device : findOption(s, 'name')?.values[0] === device));
	if (defined) ctx.error('WAN_DEVICE_CONFLICT', at, `'${device}' collides with the device section at ${ctx.networkFile} line ${defined.line}; ${valid}`, device);
}

function wanParentIsOnlyTheWan(ctx: RuleContext): void {
	const parent = v<string>(ctx.wan, 'parent');
	if (parent === undefined) return;
	const at = ctx.wan!.at('parent');
	const link = ownedLinks(ctx).find((l) => onLink(parent, l.iface));
	if (link) return ctx.error('WAN_PARENT_CONFLICT', at, `'${parent}' is ${linkText(parent, link.iface)} ${link.what}; valid: the physical WAN port`, parent);
	const wanName = v<string>(ctx.wan, 'interface');
	for (const i of ctx.network?.values() ?? []) {
		if (i.name === wanName || i.alias === wanName || !onLink(parent, i)) continue;
		ctx.warn('WAN_PARENT_SHARED', at, `interface '${i.name}' (${ctx.networkFile} line ${i.line}) also sits on '${parent}' and would run on both nodes; move it onto the shared WAN (option device '@${wanName}') or disable it`, parent);
	}
}

function wanRequestAddressUsable(ctx: RuleContext): void {
	const a = v<Ip | null>(ctx.wan, 'request_address');
	if (a && isUnusable(a)) ctx.error('IPV4_INVALID', ctx.wan!.at('request_address'), `'${formatIp(a)}' cannot be a lease address; valid: a unicast IPv4 address`, formatIp(a));
}

function syncInterfaceResolves(ctx: RuleContext): void {
	if (!ctx.sync) return;
	const iface = resolveInterface(ctx, ctx.sync);
	if (iface && iface.ipv4.length === 0) {
		ctx.error('IFACE_NO_ADDRESS', ctx.sync.at('interface'), `interface '${iface.name}' has no static IPv4 address in ${ctx.networkFile} (line ${iface.line}, proto '${iface.proto}'); conntrackd needs this node's own address`, iface.name);
	}
}

function syncPeerFitsTransport(ctx: RuleContext): void {
	const s = ctx.sync;
	const transport = v<string>(s, 'transport');
	const peer = v<Ip | null>(s, 'peer');
	if (!s || transport === undefined) return;
	if (transport === 'udp' && peer === null) ctx.error('SYNC_PEER_MISSING', s.at('peer'), "transport 'udp' needs the other node's address on the sync interface");
	if (transport === 'multicast' && peer) ctx.warn('SYNC_PEER_IGNORED', s.at('peer'), "is ignored with transport 'multicast'", formatIp(peer));
	const group = v<Ip>(s, 'group');
	if (transport === 'multicast' && group && !isMulticast(group)) ctx.error('SYNC_GROUP_NOT_MULTICAST', s.at('group'), `'${formatIp(group)}' is not a multicast address; valid: 224.0.0.0..239.255.255.255`, formatIp(group));
}

function syncPeerIsNotLocal(ctx: RuleContext): void {
	const s = ctx.sync;
	const peer = v<Ip | null>(s, 'peer');
	if (!s || !peer || v<string>(s, 'transport') !== 'udp') return;
	const own = [...(ctx.network?.values() ?? [])].flatMap((i) => i.ipv4);
	if (own.some((c) => sameIp(toIp(c), peer))) {
		ctx.error('SYNC_PEER_IS_SELF', s.at('peer'), `'${formatIp(peer)}' is one of this node's own addresses; valid: the other node's address`, formatIp(peer));
		return;
	}
	if (isUnusable(peer)) ctx.error('IPV4_INVALID', s.at('peer'), `'${formatIp(peer)}' cannot be a peer; valid: a unicast IPv4 address`, formatIp(peer));
	const iface = ctx.network?.get(v<string>(s, 'interface') ?? '');
	if (iface && iface.ipv4.length > 0 && !iface.ipv4.some((n) => inSubnet(peer, n))) {
		ctx.warn('SYNC_PEER_OFF_SUBNET', s.at('peer'), `'${formatIp(peer)}' is outside interface '${iface.name}' (${iface.ipv4.map(cidrText).join(', ')})`, formatIp(peer));
	}
}

function syncConfigured(ctx: RuleContext): void {
	if (!ctx.sync && ctx.node) ctx.warn('SYNC_DISABLED', { ...ctx.node.origin, line: 0, section: '', type: 'sync' }, 'no enabled sync section: connections will not survive a failover');
}

/** The agent's peer link (src/peer/protocol.ts peerLink): without a unicast peer there is none. */
function peerLinkKnown(ctx: RuleContext): void {
	const syncPeer = ctx.sync && v<string>(ctx.sync, 'transport') === 'udp' && v<Ip | null>(ctx.sync, 'peer');
	if (syncPeer || ctx.groups.some((g) => g.peers.some((p) => p.family === g.family)) || !ctx.node) return;
	ctx.warn('NO_PEER_LINK', { ...ctx.node.origin, line: 0, section: '', type: 'sync' }, "no unicast peer address (sync 'peer' or a VRRP 'unicast_peer'): no split-brain guard, and 'ha-router switchover' cannot ask the peer");
}

// Sites (docs/config.md "Sites"): every branch may use the same client subnet; what tells them
// apart behind the pair is the mapped subnet, the interface and the numbers ha-router allocates.

const overlaps = (a: Cidr, b: Cidr) => a.family === b.family && (inSubnet(toIp(a), b) || inSubnet(toIp(b), a));
const siteLabel = (r: ReadSection) => `site '${r.section.name}'`;

function siteInterfaceResolves(ctx: RuleContext): void {
	for (const r of ctx.sites) {
		const iface = resolveInterface(ctx, r);
		if (iface?.device && !usableDevice(iface.device)) {
			ctx.error('IFACE_DEVICE_INVALID', r.at('interface'), `interface '${iface.name}' is on device '${shown(iface.device)}' (${ctx.networkFile} line ${iface.line}), which nft cannot carry; valid: ${USABLE_DEVICE}`, iface.name);
		}
	}
}

function siteInterfaceIsItsOwn(ctx: RuleContext): void {
	const seen = new Map<string, ReadSection>();
	const wan = v<string>(ctx.wan, 'interface');
	const sync = v<string>(ctx.sync, 'interface');
	for (const r of ctx.sites) {
		const name = v<string>(r, 'interface');
		if (name === undefined) continue;
		const first = seen.get(name);
		const valid = 'valid: the interface (VLAN or tunnel) only this site arrives on';
		if (first) ctx.error('SITE_IFACE_DUPLICATE', r.at('interface'), `'${name}' is already the interface of ${siteLabel(first)} (line ${first.at('interface').line}); ${valid}`, name);
		else seen.set(name, r);
		if (name === wan) ctx.error('SITE_IFACE_CONFLICT', r.at('interface'), `'${name}' is the shared WAN; ${valid}`, name);
		if (name === sync) ctx.error('SITE_IFACE_CONFLICT', r.at('interface'), `'${name}' is the sync interface; ${valid}`, name);
	}
}

/** NETMAP (`snat ip prefix to`) and the site's route are IPv4 here. */
function siteIsIpv4(ctx: RuleContext): void {
	for (const r of ctx.sites) {
		for (const option of ['subnet', 'mapped'] as const) {
			const c = v<Cidr>(r, option);
			if (c && c.family !== 4) ctx.error('SITE_FAMILY', r.at(option), `'${cidrText(c)}' is IPv6; valid: an IPv4 prefix (sites are mapped IPv4 to IPv4)`, cidrText(c));
		}
		const gw = v<Ip>(r, 'gateway');
		if (gw && gw.family !== 4) ctx.error('SITE_FAMILY', r.at('gateway'), `'${formatIp(gw)}' is IPv6; valid: the site router's IPv4 address on the site interface`, formatIp(gw));
	}
}

function siteSubnetsAreNetworks(ctx: RuleContext): void {
	for (const r of ctx.sites) {
		for (const option of ['subnet', 'mapped'] as const) {
			const c = v<Cidr>(r, option);
			if (!c || c.family !== 4) continue;
			const net = networkOf(c);
			if (net.address !== c.address) ctx.error('SITE_HOST_BITS', r.at(option), `'${cidrText(c)}' has host bits set; valid: the network address, '${cidrText(net)}'`, cidrText(c));
		}
	}
}

/** A 1:1 map keeps the host part: both prefixes must be equally long. */
function siteMappedSameLength(ctx: RuleContext): void {
	for (const r of ctx.sites) {
		const subnet = v<Cidr>(r, 'subnet');
		const mapped = v<Cidr>(r, 'mapped');
		if (!subnet || !mapped || subnet.family !== 4 || mapped.family !== 4 || subnet.prefix === mapped.prefix) continue;
		ctx.error('SITE_PREFIX_MISMATCH', r.at('mapped'), `'${cidrText(mapped)}' is a /${mapped.prefix} but subnet '${cidrText(subnet)}' is a /${subnet.prefix}; valid: a /${subnet.prefix}, so every client maps to one address`, cidrText(mapped));
	}
}

function siteMappedUnique(ctx: RuleContext): void {
	const real = [...(ctx.network?.values() ?? [])].flatMap((i) => i.ipv4.map((c) => ({ net: networkOf(c), what: `interface '${i.name}' (${ctx.networkFile} line ${i.line})` })));
	const clients = ctx.sites.flatMap((r) => (v<Cidr>(r, 'subnet') ? [{ net: v<Cidr>(r, 'subnet')!, what: `the client subnet of ${siteLabel(r)}` }] : []));
	const mappedSoFar: { net: Cidr; what: string }[] = [];
	for (const r of ctx.sites) {
		const mapped = v<Cidr>(r, 'mapped');
		if (!mapped || mapped.family !== 4) continue;
		const valid = 'valid: a subnet used nowhere else, unique to this site';
		const hit = (list: { net: Cidr; what: string }[]) => list.find((x) => overlaps(x.net, mapped));
		const other = hit(mappedSoFar);
		if (other) ctx.error('SITE_MAPPED_OVERLAP', r.at('mapped'), `'${cidrText(mapped)}' overlaps ${other.what}; ${valid}`, cidrText(mapped));
		const own = hit(real);
		if (own) ctx.error('SITE_MAPPED_REAL', r.at('mapped'), `'${cidrText(mapped)}' overlaps ${own.what} (${cidrText(own.net)}); ${valid}`, cidrText(mapped));
		const client = hit(clients);
		if (client) ctx.error('SITE_MAPPED_REAL', r.at('mapped'), `'${cidrText(mapped)}' overlaps ${client.what} (${cidrText(client.net)}); ${valid}`, cidrText(mapped));
		mappedSoFar.push({ net: mapped, what: `the mapped subnet of ${siteLabel(r)} (line ${r.at('mapped').line})` });
	}
}

function siteGatewayOnInterface(ctx: RuleContext): void {
	for (const r of ctx.sites) {
		const gw = v<Ip>(r, 'gateway');
		const iface = ctx.network?.get(v<string>(r, 'interface') ?? '');
		if (!gw || gw.family !== 4 || !iface) continue;
		const own = [...(ctx.network?.values() ?? [])].flatMap((i) => i.ipv4);
		if (own.some((c) => sameIp(toIp(c), gw))) ctx.error('SITE_GATEWAY_IS_SELF', r.at('gateway'), `'${formatIp(gw)}' is this node's own address; valid: the site router's address on '${iface.name}'`, formatIp(gw));
		else if (iface.ipv4.length === 0) ctx.error('IFACE_NO_ADDRESS', r.at('interface'), `interface '${iface.name}' has no static IPv4 address in ${ctx.networkFile} (line ${iface.line}); the site's gateway must be reachable on it`, iface.name);
		else if (!iface.ipv4.some((n) => inSubnet(gw, n))) ctx.error('SITE_GATEWAY_OFF_SUBNET', r.at('gateway'), `'${formatIp(gw)}' is outside interface '${iface.name}' (${iface.ipv4.map(cidrText).join(', ')}); valid: the site router's address in ${iface.ipv4.map(cidrText).join(' or ')}`, formatIp(gw));
	}
}

// Services (docs/config.md "Services"): balanced by our table, so IPv4 and one owner per VIP and port.

function serviceIsIpv4(ctx: RuleContext): void {
	for (const r of ctx.services) {
		const vip = v<Ip>(r, 'vip');
		if (vip && vip.family !== 4) ctx.error('SERVICE_FAMILY', r.at('vip'), `'${formatIp(vip)}' is IPv6; valid: an IPv4 address (services are balanced IPv4 to IPv4)`, formatIp(vip));
		else if (vip && isUnusable(vip)) ctx.error('VIP_INVALID', r.at('vip'), `'${formatIp(vip)}' cannot be a service address; valid: a unicast IPv4 address`, formatIp(vip));
		for (const b of v<BackendSpec[]>(r, 'backend') ?? []) {
			if (b.ip.family !== 4) ctx.error('SERVICE_FAMILY', r.at('backend'), `'${formatIp(b.ip)}' is IPv6; valid: an IPv4 backend`, formatIp(b.ip));
			else if (isUnusable(b.ip)) ctx.error('BACKEND_INVALID', r.at('backend'), `'${formatIp(b.ip)}' cannot be a backend; valid: a unicast IPv4 address`, formatIp(b.ip));
		}
	}
}

function serviceBackendsUnique(ctx: RuleContext): void {
	for (const r of ctx.services) {
		const seen: Ip[] = [];
		for (const b of v<BackendSpec[]>(r, 'backend') ?? []) {
			if (seen.some((s) => sameIp(s, b.ip))) ctx.error('BACKEND_DUPLICATE', r.at('backend'), `'${formatIp(b.ip)}' is listed twice; valid: each backend once (give it a weight instead)`, formatIp(b.ip));
			seen.push(b.ip);
		}
	}
}

function servicePortsHaveOneOwner(ctx: RuleContext): void {
	const seen = new Map<string, ReadSection>();
	for (const r of ctx.services) {
		const vip = v<Ip>(r, 'vip');
		const proto = v<string>(r, 'protocol');
		if (!vip || !proto) continue;
		for (const port of new Set(v<number[]>(r, 'port') ?? [])) {
			const key = `${formatIp(vip)} ${proto} ${port}`;
			const first = seen.get(key);
			if (first && first !== r) ctx.error('SERVICE_CONFLICT', r.at('port'), `'${port}' on ${formatIp(vip)} ${proto} is already service '${first.section.name}' (line ${first.at('port').line}); valid: one service per address, protocol and port`, String(port));
			else seen.set(key, r);
		}
	}
}

export const RULES: readonly Rule[] = [
	vrrpInterfaceResolves,
	interfaceDevicesCarriable,
	vipsOneFamily,
	vipsUsable,
	vipsInsideInterfaceSubnet,
	vipIsNotOwnAddress,
	vipsUnique,
	unicastPeersMatchFamily,
	unicastPeerIsNotSelf,
	unicastPeerOnSubnet,
	vridUniquePerInterfaceAndFamily,
	advertIntMatchesVersion,
	v2IsIpv4Only,
	authMatchesVersion,
	nopreemptNeedsBackupState,
	wanOwnsItsInterface,
	wanDeviceIsNew,
	wanParentIsOnlyTheWan,
	wanRequestAddressUsable,
	syncInterfaceResolves,
	syncPeerFitsTransport,
	syncPeerIsNotLocal,
	syncConfigured,
	peerLinkKnown,
	siteInterfaceResolves,
	siteInterfaceIsItsOwn,
	siteIsIpv4,
	siteSubnetsAreNetworks,
	siteMappedSameLength,
	siteMappedUnique,
	siteGatewayOnInterface,
	serviceIsIpv4,
	serviceBackendsUnique,
	servicePortsHaveOneOwner,
	...UPLINK_RULES,
];
