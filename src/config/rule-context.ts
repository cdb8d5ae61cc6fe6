// What the cross-field rules see: the checked sections of /etc/config/ha-router, the interfaces of
// /etc/config/network, and a few derived facts, plus a way to report issues.

import type { Cidr, Family, Issue, Origin } from '../model/types.ts';
import type { Ip } from './ip.ts';
import type { NetInterface } from './network.ts';
import type { ReadSection } from './read-sections.ts';
import type { UciSection, UciStatement } from './uci-types.ts';
import type { VipSpec } from './values.ts';

export interface GroupFacts {
	readonly read: ReadSection;
	readonly name: string;
	/** The logical interface, when it is valid and found in /etc/config/network. */
	readonly iface: NetInterface | undefined;
	/** The VRRP address family, from the VIPs (or the unicast peers); 4 if neither says. */
	readonly family: Family;
	/** This node's own address of that family on the interface. */
	readonly address: Cidr | undefined;
	readonly vips: readonly VipSpec[];
	readonly peers: readonly Ip[];
}

export interface RuleContext {
	readonly node: ReadSection | undefined;
	readonly groups: readonly GroupFacts[];
	/** Present only when the section exists and is enabled. */
	readonly wan: ReadSection | undefined;
	readonly sync: ReadSection | undefined;
	/** `config site` sections in file order. */
	readonly sites: readonly ReadSection[];
	/** `config service` sections in file order. */
	readonly services: readonly ReadSection[];
	/** null when /etc/config/network could not be read or parsed (already reported). */
	readonly network: ReadonlyMap<string, NetInterface> | null;
	/** Every section of /etc/config/network (none when it could not be read): what apply would edit. */
	readonly networkSections: readonly UciSection[];
	readonly networkFile: string;
	/** Every checked section of /etc/config/ha-router by type (the uplink rules read theirs). */
	readonly sections?: ReadonlyMap<string, readonly ReadSection[]>;
	/** The statements of /etc/config/ha-router: two `config` lines of one section name show a merge. */
	readonly statements?: readonly UciStatement[];
	error(code: string, at: Origin, message: string, value?: string): void;
	warn(code: string, at: Origin, message: string, value?: string): void;
}

export type Rule = (ctx: RuleContext) => void;

export type { Issue };
