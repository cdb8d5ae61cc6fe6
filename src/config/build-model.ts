// /etc/config/ha-router + /etc/config/network texts -> the frozen Model, or every issue found.
// Pure: the loader (load-config.ts) does the reading.

import type { Cidr, Family, Issue, LogLevel, MacvlanMode, Model, NodeSettings, Origin, Platform, Service, SharedWan, Site, StateSync, Vip, VrrpAuth, VrrpGroup } from '../model/types.ts';
import { siteNumbers } from '../model/site-numbers.ts';
import { deepFreeze } from './deep-freeze.ts';
import { type Ip, formatIp, inSubnet, networkOf } from './ip.ts';
import { makeIssue, sortIssues } from './issues.ts';
import { type NetInterface, readNetwork } from './network.ts';
import { type ReadSection, readSections } from './read-sections.ts';
import type { GroupFacts, RuleContext } from './rule-context.ts';
import { RULES } from './rules.ts';
import { parseUci } from './uci-parse.ts';
import { assembleUplinks } from './uplink-model.ts';
import { type UciPackage, UciSyntaxError } from './uci-types.ts';
import type { BackendSpec, VipSpec } from './values.ts';

export interface ConfigFile {
	/** Path used in messages, e.g. /etc/config/ha-router. */
	readonly path: string;
	/** null when the file does not exist (or could not be read: see `error`). */
	readonly text: string | null;
	/** Why an existing file could not be read, e.g. permission denied. */
	readonly error?: string;
}

export interface ConfigFiles {
	readonly haRouter: ConfigFile;
	readonly network: ConfigFile;
}

export interface BuildResult {
	/** Only when there are no errors; deep-frozen. */
	readonly model: Model | null;
	/** Errors and warnings, errors first, each in file order. */
	readonly issues: readonly Issue[];
	/** The parsed files (null if missing or not parseable), for callers that edit them later. */
	readonly haRouter: UciPackage | null;
	readonly network: UciPackage | null;
}

export function buildModel(files: ConfigFiles): BuildResult {
	const issues: Issue[] = [];
	const report = (i: Issue) => issues.push(i);
	const haRouter = parseFile(files.haRouter, report);
	const network = parseFile(files.network, report);
	if (!haRouter) return done(null, issues, haRouter, network);

	const netMap = network ? readNetwork(network) : null;
	const read = readSections(haRouter, report);
	const node = read.get('node')![0];
	const groups = read.get('vrrp')!.map((r) => groupFacts(r, netMap));
	const enabled = (r: ReadSection | undefined) => (r && r.values.get('enabled') !== false ? r : undefined);
	const wan = enabled(read.get('wan')![0]);
	const sync = enabled(read.get('sync')![0]);
	const ctx: RuleContext = {
		node,
		groups,
		wan,
		sync,
		sites: read.get('site')!,
		services: read.get('service')!,
		network: netMap,
		networkSections: network?.sections ?? [],
		networkFile: files.network.path,
		sections: read,
		statements: haRouter.statements,
		error: (code, at, message, value) => report(makeIssue('error', code, at, message, value)),
		warn: (code, at, message, value) => report(makeIssue('warning', code, at, message, value)),
	};
	for (const rule of RULES) rule(ctx);
	if (issues.some((i) => i.severity === 'error') || !node || !netMap) return done(null, issues, haRouter, network);
	const model = assemble(node, groups, wan, sync, read.get('site')!, read.get('service')!, netMap);
	const uplinks = assembleUplinks(read.get('uplink')!, read.get('uplink_rule')!, model.wan, model.groups, netMap);
	return done(uplinks ? { ...model, uplinks } : model, issues, haRouter, network);
}

/**
 * VRRPv3 advertises every 30 ms unless told otherwise: a dead master is noticed in ~0.1 s (3 adverts
 * plus skew), before a TCP sender's first retransmission (~0.2 s), and 10-minute soaks with both
 * cores busy and 200 streams saw no false failover at 30 ms or 50 ms (bench/soak.md,
 * docs/decisions.md). VRRPv2 counts whole seconds: 1 s.
 */
const V3_DEFAULT_ADVERT_MS = 30;

function advertIntMs(r: ReadSection, version: string): number {
	if (r.raw('advert_int') === undefined && version !== '2') return V3_DEFAULT_ADVERT_MS;
	return get<number>(r, 'advert_int') * 10;
}

function done(model: Model | null, issues: Issue[], haRouter: UciPackage | null, network: UciPackage | null): BuildResult {
	return { model: model && deepFreeze(model), issues: sortIssues(issues), haRouter, network };
}

function parseFile(f: ConfigFile, report: (i: Issue) => void): UciPackage | null {
	if (f.text === null) {
		if (f.error !== undefined) report(makeIssue('error', 'FILE_UNREADABLE', { file: f.path, line: 0, section: '' }, `cannot read the file: ${f.error}`));
		else report(makeIssue('error', 'FILE_MISSING', { file: f.path, line: 0, section: '' }, 'file does not exist'));
		return null;
	}
	try {
		return parseUci(f.text, f.path);
	} catch (e) {
		if (!(e instanceof UciSyntaxError)) throw e;
		report(makeIssue('error', 'UCI_SYNTAX', { file: f.path, line: e.line, section: '' }, `column ${e.column}: parse error: ${e.reason}`));
		return null;
	}
}

function groupFacts(r: ReadSection, network: ReadonlyMap<string, NetInterface> | null): GroupFacts {
	const vips = (r.values.get('vip') as VipSpec[] | undefined) ?? [];
	const peers = (r.values.get('unicast_peer') as Ip[] | undefined) ?? [];
	const family: Family = vips[0]?.ip.family ?? peers[0]?.family ?? 4;
	const name = r.values.get('interface') as string | undefined;
	const iface = name === undefined ? undefined : network?.get(name);
	const address = iface ? (family === 4 ? iface.ipv4 : iface.ipv6)[0] : undefined;
	return { read: r, name: r.section.name, iface, family, address, vips, peers };
}

// Below here every value was checked and every rule passed, so the lookups cannot fail.

function get<T>(r: ReadSection, option: string): T {
	return r.values.get(option) as T;
}

function assemble(n: ReadSection, groupFacts: readonly GroupFacts[], wan: ReadSection | undefined, sync: ReadSection | undefined, sites: readonly ReadSection[], services: readonly ReadSection[], network: ReadonlyMap<string, NetInterface>): Model {
	const node: NodeSettings = {
		enabled: get(n, 'enabled'),
		name: get(n, 'name'),
		priority: get(n, 'priority'),
		initialState: get<string>(n, 'state') === 'master' ? 'MASTER' : 'BACKUP',
		nopreempt: get(n, 'nopreempt'),
		preemptDelay: get(n, 'preempt_delay'),
		services: get(n, 'service'),
		vipRouteFix: get(n, 'vip_route_fix'),
		splitBrainDampingS: get(n, 'split_brain_damping'),
		platform: get<Platform>(n, 'platform'),
		logLevel: get<LogLevel>(n, 'log_level'),
	};
	const groups = groupFacts.map(assembleGroup).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
	return {
		node,
		groups,
		wan: wan ? assembleWan(wan, groups) : null,
		sync: sync ? assembleSync(sync, network) : null,
		sites: assembleSites(sites, network),
		services: byName(services).map(assembleService),
	};
}

const byName = (list: readonly ReadSection[]) => [...list].sort((a, b) => (a.section.name < b.section.name ? -1 : a.section.name > b.section.name ? 1 : 0));

function assembleService(r: ReadSection): Service {
	return {
		name: r.section.name,
		vip: formatIp(get<Ip>(r, 'vip')),
		protocol: get<'tcp' | 'udp'>(r, 'protocol'),
		ports: [...new Set(get<number[]>(r, 'port'))].sort((a, b) => a - b),
		backends: get<BackendSpec[]>(r, 'backend').map((b) => ({ address: formatIp(b.ip), weight: b.weight })),
		scheduler: get<'random' | 'hash'>(r, 'scheduler'),
		check: get<'tcp' | 'none'>(r, 'check'),
		checkIntervalS: get<number>(r, 'check_interval'),
		map: `svc_${r.section.name}`,
		origin: r.origin,
	};
}

/** Sorted by name; the kernel numbers follow that order (src/model/site-numbers.ts). */
function assembleSites(sites: readonly ReadSection[], network: ReadonlyMap<string, NetInterface>): Site[] {
	return byName(sites).map((r, i) => ({
		name: r.section.name,
		interface: get<string>(r, 'interface'),
		device: network.get(get<string>(r, 'interface'))!.device!,
		subnet: get<Cidr>(r, 'subnet'),
		mapped: get<Cidr>(r, 'mapped'),
		gateway: formatIp(get<Ip>(r, 'gateway')),
		...siteNumbers(r.section.name, i),
		origin: r.origin,
	}));
}

function assembleGroup(g: GroupFacts): VrrpGroup {
	const r = g.read;
	const iface = g.iface!;
	const nets = g.family === 4 ? iface.ipv4 : iface.ipv6;
	const vips: Vip[] = g.vips.map((x) => {
		const net = nets.find((c) => inSubnet(x.ip, c));
		const prefix = x.prefix ?? net?.prefix ?? (x.ip.family === 4 ? 32 : 128);
		return { address: formatIp(x.ip), prefix, family: x.ip.family, device: x.device ?? iface.device! };
	});
	const type = get<'none' | 'pass' | 'ah'>(r, 'auth_type');
	const auth: VrrpAuth = type === 'none' ? { type } : { type, password: get<string>(r, 'auth_pass') };
	const origin: Origin = r.origin;
	return {
		name: g.name,
		interface: get(r, 'interface'),
		device: iface.device!,
		address: g.address!,
		vrid: get(r, 'vrid'),
		version: get<string>(r, 'version') === '2' ? 2 : 3,
		advertIntMs: advertIntMs(r, get<string>(r, 'version')),
		unicastPeers: g.peers.map(formatIp),
		auth,
		vips,
		trackInterfaces: get(r, 'track_interface'),
		origin,
	};
}

function assembleWan(w: ReadSection, groups: readonly VrrpGroup[]): SharedWan {
	const given = get<Cidr[]>(w, 'snat_source');
	const snat: Cidr[] = [];
	const add = (c: Cidr) => {
		if (!snat.some((s) => s.address === c.address && s.prefix === c.prefix)) snat.push(c);
	};
	if (given.length > 0) given.forEach((c) => add(networkOf(c)));
	else for (const g of groups) if (g.address.family === 4) add(networkOf(g.address));
	const request = get<Ip | null>(w, 'request_address');
	return {
		interface: get(w, 'interface'),
		device: get(w, 'device'),
		parent: get(w, 'parent'),
		macaddr: get(w, 'macaddr'),
		mode: get<MacvlanMode>(w, 'mode'),
		proto: 'dhcp',
		requestAddress: request ? formatIp(request) : null,
		snatSources: snat,
	};
}

function assembleSync(s: ReadSection, network: ReadonlyMap<string, NetInterface>): StateSync {
	const iface = network.get(get<string>(s, 'interface'))!;
	const transport = get<'udp' | 'multicast'>(s, 'transport');
	const peer = get<Ip | null>(s, 'peer');
	return {
		interface: iface.name,
		device: iface.device!,
		localAddress: iface.ipv4[0]!.address,
		peerAddress: transport === 'udp' && peer ? formatIp(peer) : null,
		transport,
		multicastGroup: formatIp(get<Ip>(s, 'group')),
		port: get(s, 'port'),
		externalCache: get(s, 'external_cache'),
	};
}
