// conntrackd.conf from the Model: FTFW state replication to the peer on the sync link.
// Returns null without a `sync` section: OpenWrt's conntrackd init does nothing while
// /etc/conntrackd/conntrackd.conf is missing, so "no file" is how sync is switched off.

import type { Model, StateSync } from '../model/types.ts';
import type { Paths } from '../model/paths.ts';
import { conntrackdCarriesDevice } from '../model/value-rules.ts';
import { HEADER, RenderError, familyOf, sortedUnique } from './text.ts';

export interface ConntrackdFacts {
	/** The kernel's nf_conntrack_max, read by the caller (/proc/sys/net/netfilter/nf_conntrack_max). */
	readonly conntrackMax: number;
}

/** HashLimit at least 2x nf_conntrack_max (conntrackd.conf(5)); buckets a quarter of that max, as a power of two. */
export function conntrackdHashSizes(conntrackMax: number): { max: number; hashSize: number; hashLimit: number } {
	// A nonsense fact (0, NaN) must not yield a daemon that refuses every entry.
	const max = Number.isFinite(conntrackMax) ? Math.max(1024, Math.floor(conntrackMax)) : 65536;
	let hashSize = 256;
	while (hashSize < max / 4) hashSize *= 2;
	return { max, hashSize, hashLimit: 2 * max };
}

function yes(on: boolean): string {
	return on ? 'on' : 'off';
}

/** Validation refuses a device conntrackd cannot read; this asserts it. */
function conntrackdDevice(device: string): string {
	if (!conntrackdCarriesDevice(device)) throw new RenderError(`conntrackd.conf cannot carry the interface ${JSON.stringify(device)}`);
	return device;
}

function transport(sync: StateSync): string[] {
	const local = familyOf(sync.localAddress);
	const common = [
		`Interface ${conntrackdDevice(sync.device)}`,
		// The kernel defaults (~200 KB) overrun under a connection burst; lost messages mean resends.
		'SndSocketBuffer 1249280',
		'RcvSocketBuffer 1249280',
		'Checksum on',
	];
	if (sync.transport === 'multicast') {
		const group = familyOf(sync.multicastGroup);
		return [
			'Multicast Default {',
			`\tIPv${group}_address ${sync.multicastGroup}`,
			`\tGroup ${sync.port}`,
			// IPv6 multicast takes the link from Interface alone (conntrackd ignores IPv6_interface).
			...(group === 4 ? [`\tIPv4_interface ${sync.localAddress}`] : []),
			...common.map((l) => `\t${l}`),
			'}',
		];
	}
	return [
		'UDP Default {',
		`\tIPv${local}_address ${sync.localAddress}`,
		...(sync.peerAddress === null ? [] : [`\tIPv${familyOf(sync.peerAddress)}_Destination_Address ${sync.peerAddress}`]),
		`\tPort ${sync.port}`,
		...common.map((l) => `\t${l}`),
		'}',
	];
}

/** Addresses whose flows are the routers' own: syncing them would inject states the peer never had. */
export function ignoredAddresses(model: Model): { v4: string[]; v6: string[] } {
	const all = ['127.0.0.1', '::1'];
	for (const g of model.groups) {
		all.push(g.address.address, ...g.unicastPeers, ...g.vips.map((v) => v.address));
	}
	if (model.sync !== null) {
		all.push(model.sync.localAddress);
		if (model.sync.peerAddress !== null) all.push(model.sync.peerAddress);
	}
	const unique = sortedUnique(all);
	return { v4: unique.filter((a) => familyOf(a) === 4), v6: unique.filter((a) => familyOf(a) === 6) };
}

export function renderConntrackd(model: Model, paths: Paths, facts: ConntrackdFacts): string | null {
	const sync = model.sync;
	if (sync === null) return null;
	const { max, hashSize, hashLimit } = conntrackdHashSizes(facts.conntrackMax);
	const ignored = ignoredAddresses(model);
	const lines = [
		`# ${HEADER}`,
		`# conntrackd for node ${model.node.name}: FTFW over ${sync.transport === 'udp' ? 'UDP unicast' : 'multicast'} on ${sync.device}`,
		'Sync {',
		'\tMode FTFW {',
		'\t\t# off: received states go straight into the kernel table, so a new MASTER already has them',
		'\t\t# when keepalived adds the VIPs, before any notify script runs; on: commit (-c) at takeover.',
		`\t\tDisableExternalCache ${yes(!sync.externalCache)}`,
		'\t\t# A node that (re)starts asks the peer for its whole table at once.',
		'\t\tStartupResync on',
		'\t\t# After -t (leaving MASTER) the stale kernel entries are purged after this many seconds.',
		'\t\tPurgeTimeout 60',
		'\t\t# No CommitTimeout: a fixed timeout on committed entries kills idle established sessions;',
		'\t\t# the default keeps each entry\'s own remaining lifetime.',
		'\t}',
		...transport(sync).map((l) => `\t${l}`),
		'}',
		'',
		'General {',
		`\t# HashLimit is 2x nf_conntrack_max (${max}), HashSize a quarter of it.`,
		`\tHashSize ${hashSize}`,
		`\tHashLimit ${hashLimit}`,
		'\t# Syslog only: no log file growing in the router\'s RAM-backed /var/log.',
		'\tSyslog on',
		'\tLogFile off',
		`\tLockFile ${paths.conntrackdLock}`,
		'\tUNIX {',
		`\t\tPath ${paths.conntrackdSocket}`,
		'\t}',
		'\tNetlinkBufferSize 2097152',
		'\tNetlinkBufferSizeMaxGrowth 8388608',
		'\t# An event overrun would silently leave the peer behind: resync the table when it happens.',
		'\tNetlinkOverrunResync on',
		'\tFilter From Userspace {',
		'\t\t# UDP and ICMP too: without a state, a reply from the WAN looks new and fw4 drops it.',
		'\t\t# No State filter: every TCP state is synced, so sessions opening or closing at takeover survive.',
		'\t\tProtocol Accept {',
		...['TCP', 'UDP', 'ICMP', 'IPv6-ICMP', 'SCTP', 'DCCP'].map((p) => `\t\t\t${p}`),
		'\t\t}',
		'\t\t# The routers\' own addresses (loopback, VIPs, node, peer and sync addresses): their flows are local.',
		'\t\tAddress Ignore {',
		...ignored.v4.map((a) => `\t\t\tIPv4_address ${a}`),
		...ignored.v6.map((a) => `\t\t\tIPv6_address ${a}`),
		'\t\t}',
		'\t}',
		'}',
	];
	return lines.join('\n') + '\n';
}
