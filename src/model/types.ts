// The Model: plain, frozen data built from /etc/config/ha-router and /etc/config/network by
// src/config/, consumed by the pure renderers (src/render/) and planners (src/plan/).
// This file imports nothing.

export type Family = 4 | 6;

/** An address with its prefix length, e.g. 192.168.1.1/24. `address` is in canonical text form. */
export interface Cidr {
	readonly address: string;
	readonly prefix: number;
	readonly family: Family;
}

/** keepalived's states; anything else from the outside is an error, never a guess. */
export type VrrpState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

export type Platform = 'auto' | 'openwrt' | 'linux';

export type LogLevel = 'err' | 'warning' | 'notice' | 'info' | 'debug';

/** Where a Model value came from, for messages: file, line and option. */
export interface Origin {
	readonly file: string;
	readonly line: number;
	/** UCI section id: its name, or @type[n] when anonymous. */
	readonly section: string;
	/** The section's type (e.g. 'vrrp'), so messages can say "vrrp 'lan'". */
	readonly type?: string;
	readonly option?: string;
}

export interface NodeSettings {
	readonly enabled: boolean;
	/** keepalived router_id and the name in status output. */
	readonly name: string;
	/** VRRP priority, 1..254. */
	readonly priority: number;
	/** The state keepalived starts in; MASTER only makes it claim at once when it wins. */
	readonly initialState: 'MASTER' | 'BACKUP';
	readonly nopreempt: boolean;
	/** Seconds before a higher-priority node that came back takes over (0..1000). */
	readonly preemptDelay: number;
	/** Init script names started on MASTER in this order, stopped in reverse on leaving it. */
	readonly services: readonly string[];
	/** Give each VIP's local route the node's own address as source (on by default). */
	readonly vipRouteFix: boolean;
	/** Seconds a node that stepped down in a split brain stays down, at least, once VRRP is heard again. */
	readonly splitBrainDampingS: number;
	readonly platform: Platform;
	readonly logLevel: LogLevel;
}

export type VrrpAuth =
	| { readonly type: 'none' }
	/** PASS (simple password, VRRPv2 only, at most 8 characters) or AH. */
	| { readonly type: 'pass' | 'ah'; readonly password: string };

export interface Vip extends Cidr {
	/** The Linux device the address is added to. */
	readonly device: string;
}

/** One VRRP instance (keepalived vrrp_instance), from a `config vrrp '<name>'` section. */
export interface VrrpGroup {
	/** The UCI section name; also the keepalived instance name. */
	readonly name: string;
	/** Logical interface in /etc/config/network (e.g. 'lan'). */
	readonly interface: string;
	/** Its Linux device (e.g. 'br-lan'), resolved from /etc/config/network. */
	readonly device: string;
	/** This node's own address on that interface (the VRRP source and VIP route source). */
	readonly address: Cidr;
	readonly vrid: number;
	readonly version: 2 | 3;
	/** Advertisement interval in milliseconds (v3: 10..40950 in steps of 10; v2: whole seconds). */
	readonly advertIntMs: number;
	/** Unicast peers; empty means multicast. */
	readonly unicastPeers: readonly string[];
	readonly auth: VrrpAuth;
	readonly vips: readonly Vip[];
	/** Devices whose link failure puts the instance into FAULT. */
	readonly trackInterfaces: readonly string[];
	readonly origin: Origin;
}

export type MacvlanMode = 'private' | 'vepa' | 'bridge' | 'passthru';

/** The WAN both nodes share: a macvlan with one MAC, so the standby gets the same DHCP lease. */
export interface SharedWan {
	/** Logical netifd interface (e.g. 'wan'), kept `auto '0'`: only the MASTER brings it up. */
	readonly interface: string;
	/** The macvlan device name (e.g. 'hawan'). */
	readonly device: string;
	/** The physical WAN port the macvlan sits on (e.g. 'eth1', 'wan'). */
	readonly parent: string;
	/** The shared MAC, lower case, colon separated. */
	readonly macaddr: string;
	readonly mode: MacvlanMode;
	readonly proto: 'dhcp';
	/** A known address to request at takeover so no DHCP discovery is needed. */
	readonly requestAddress: string | null;
	/** Source subnets translated to the WAN address; defaults to every VRRP interface's subnet. */
	readonly snatSources: readonly Cidr[];
}

/** The shared WAN's DHCP lease as the renderers need it (the address and its gateway). */
export interface WanLease {
	readonly address: Cidr;
	readonly gateway: string | null;
}

/** Connection-state replication with conntrackd (FTFW). */
export interface StateSync {
	/** Logical interface of the sync link: a dedicated one or the LAN. */
	readonly interface: string;
	readonly device: string;
	/** This node's address on the sync link. */
	readonly localAddress: string;
	/** The peer's address on the sync link (unicast UDP); null with multicast. */
	readonly peerAddress: string | null;
	readonly transport: 'udp' | 'multicast';
	/** Multicast group when transport is multicast (default 225.0.0.50). */
	readonly multicastGroup: string;
	/** UDP port (unicast) or multicast Group number. */
	readonly port: number;
	/** conntrackd's external cache: false = DisableExternalCache on (states go straight to the kernel). */
	readonly externalCache: boolean;
}

/**
 * A remote site whose clients use a subnet other sites may use too (every branch 10.0.0.0/24), from
 * a `config site '<name>'` section. Its connections live in their own conntrack zone and leave the
 * pair with their source mapped 1:1 into `mapped`; replies go back through the site's own table.
 * The numbers are allocated by ha-router (src/model/site-numbers.ts), never typed by the user.
 */
/** The kernel numbers of a site, from src/model/site-numbers.ts. */
export interface SiteNumbers {
	/** 1-based position in the sorted site names; the other numbers derive from it. */
	readonly index: number;
	readonly zone: number;
	/** Packet mark (in the bits of SITE_MARK_MASK) that selects the site's routing table. */
	readonly mark: number;
	readonly table: number;
	/** Name of the table in /etc/iproute2/rt_tables. */
	readonly tableName: string;
	/** `ip rule` preference of the rule sending marked packets to the table. */
	readonly rulePref: number;
}

export interface Site extends SiteNumbers {
	readonly name: string;
	/** Logical interface in /etc/config/network the site arrives on (its VLAN or tunnel). */
	readonly interface: string;
	readonly device: string;
	/** The site's client subnet (network address), IPv4. */
	readonly subnet: Cidr;
	/** The unique subnet its clients appear as behind the pair; same prefix length. */
	readonly mapped: Cidr;
	/** The site's router on that interface: where its client subnet is routed. */
	readonly gateway: string;
	readonly origin: Origin;
}

export interface Backend {
	readonly address: string;
	/** Its share of new connections, 1..100. */
	readonly weight: number;
}

/**
 * A service on a VIP balanced to backends by our nftables table (no IPVS needed), from a
 * `config service '<name>'` section. IPv4.
 */
export interface Service {
	readonly name: string;
	readonly vip: string;
	readonly protocol: 'tcp' | 'udp';
	/** Sorted, unique. */
	readonly ports: readonly number[];
	/** In the order written. */
	readonly backends: readonly Backend[];
	/** random: `numgen random`; hash: `jhash` of the client address and port (a client stays on a backend). */
	readonly scheduler: 'random' | 'hash';
	/** tcp: the agent connects to each backend's first port every checkIntervalS; none: never checked. */
	readonly check: 'tcp' | 'none';
	readonly checkIntervalS: number;
	/** nft: our table balances (map + DNAT), the agent checks; lvs: keepalived virtual_server fwmark (IPVS) does both. */
	readonly balancer: 'nft' | 'lvs';
	/** Name of its map in our table (slot -> backend), with the nft balancer. */
	readonly map: string;
	/** The packet mark of its keepalived `virtual_server fwmark`, with lvs: 0x4900 + position in the sorted names. */
	readonly fwmark: number;
	readonly origin: Origin;
}

export interface Model {
	readonly node: NodeSettings;
	/** Sorted by name. */
	readonly groups: readonly VrrpGroup[];
	readonly wan: SharedWan | null;
	readonly sync: StateSync | null;
	/** Sorted by name; empty without sites. */
	readonly sites: readonly Site[];
	/** Sorted by name; empty without services. */
	readonly services: readonly Service[];
	/** Several WANs (issue 14): absent when the config has no uplink section (today's single-WAN table). */
	readonly uplinks?: Uplinks;
}

export type Severity = 'error' | 'warning';

/** A configuration problem: data, never an exception. */
export interface Issue {
	readonly severity: Severity;
	/** Stable SCREAMING_CASE code, e.g. UNKNOWN_OPTION, VRID_RANGE. */
	readonly code: string;
	readonly at: Origin;
	readonly value?: string;
	/** What is wrong and what would be valid. */
	readonly message: string;
}

// --- Several WANs (issue 14): `config uplink` and `config uplink_rule` sections. ---

/** How an uplink's health is probed (one probe to each target per round, through the uplink's own table). */
export interface UplinkHealth {
	/** Addresses to probe; empty: never probed, always counted alive. */
	readonly targets: readonly string[];
	/** ICMP echo, a TCP connect, or a DNS query; `port` for the last two. */
	readonly method: 'icmp' | 'tcp' | 'dns';
	readonly port: number;
	readonly intervalMs: number;
	/** ICMP payload bytes. */
	readonly size: number;
	/** Failed rounds in a row before the uplink is dead. */
	readonly down: number;
	/** Good rounds in a row before a dead uplink is alive again. */
	readonly up: number;
	/** Quality limits (null: not judged): loss % over the last rounds, mean RTT ms; over either, degraded. */
	readonly maxLoss: number | null;
	readonly maxRttMs: number | null;
}

/** One uplink: a netifd interface the LAN's connections can leave by. */
export interface Uplink {
	/** The UCI section name. */
	readonly name: string;
	/** Logical interface in /etc/config/network. */
	readonly interface: string;
	/** Its Linux device (the shared WAN's macvlan when `shared`). */
	readonly device: string;
	/** Share of new connections within its tier (0: only by a rule naming it). */
	readonly weight: number;
	/** Lower tiers are used first; a higher tier only while every uplink of the lower ones is dead. */
	readonly tier: number;
	/** The last resort: when every uplink is dead, new connections all go to it. */
	readonly preferred: boolean;
	/** The shared-MAC WAN (SNAT and the default route come from its keepalived lease path). */
	readonly shared: boolean;
	/** Allocated from its position among the uplink sections (src/render/uplinks.ts: uplinkIds). */
	readonly mark: number;
	readonly table: number;
	readonly health: UplinkHealth;
	readonly origin: Origin;
}

/** Where an uplink_rule sends the connections it matches. */
export type UplinkTarget = { readonly kind: 'balanced' } | { readonly kind: 'tier'; readonly tier: number } | { readonly kind: 'uplink'; readonly uplink: string };

/** An exception: connections matching it are not balanced but go to `target`. */
export interface UplinkRule {
	/** Position among the uplink_rule sections (1-based): names its nft sets. */
	readonly index: number;
	readonly label: string;
	readonly family: Family;
	readonly proto: 'all' | 'tcp' | 'udp' | 'icmp';
	readonly destinations: readonly Cidr[];
	readonly sources: readonly Cidr[];
	/** Destination ports or ranges ('443', '8000-8080'); tcp/udp only. */
	readonly ports: readonly string[];
	readonly target: UplinkTarget;
	readonly origin: Origin;
}

export interface Uplinks {
	/** In section order (marks and tables follow it). */
	readonly links: readonly Uplink[];
	readonly rules: readonly UplinkRule[];
	/** The LAN subnets translated to each (non-shared) uplink's address. */
	readonly snatSources: readonly Cidr[];
}
