// Cross-field rules of the uplink and uplink_rule sections (issue 14, several WANs), appended to
// RULES in rules.ts. Each reports through the context and never stops the others.

import type { Cidr } from '../model/types.ts';
import { shown } from '../util/shown.ts';
import { didYouMean } from './did-you-mean.ts';
import type { ReadSection } from './read-sections.ts';
import type { Rule, RuleContext } from './rule-context.ts';
import type { UseSpec } from './uplink-options.ts';

const v = <T>(r: ReadSection | undefined, option: string): T | undefined => r?.values.get(option) as T | undefined;
const enabled = (r: ReadSection) => v<boolean>(r, 'enabled') !== false;
const uplinks = (ctx: RuleContext) => ctx.sections?.get('uplink') ?? [];
const uplinkRules = (ctx: RuleContext) => ctx.sections?.get('uplink_rule') ?? [];
const fam = (f: number) => (f === 4 ? 'IPv4' : 'IPv6');
const cidrText = (c: Cidr) => `${c.address}/${c.prefix}`;

/** UCI merges two sections of one name into one (libuci does): say so instead of merging silently. */
function uplinkNamesUnique(ctx: RuleContext): void {
	for (const r of uplinks(ctx)) {
		const configs = r.section.statements.map((i) => ctx.statements?.[i]).filter((s) => s?.command === 'config');
		for (const again of configs.slice(1)) {
			ctx.error('UPLINK_DUPLICATE', { ...r.origin, line: again!.line }, `uplink '${r.section.name}' is already defined at line ${r.origin.line}; valid: one section per uplink, each with its own name`, r.section.name);
		}
	}
}

/** The interface must exist in /etc/config/network, with a device, and be no VRRP or sync link. */
function uplinkInterfaceResolves(ctx: RuleContext): void {
	const wanName = v<string>(ctx.wan, 'interface');
	const seen = new Map<string, ReadSection>();
	for (const r of uplinks(ctx)) {
		const name = v<string>(r, 'interface');
		if (name === undefined) continue;
		const at = r.at('interface');
		const first = seen.get(name);
		if (first) ctx.error('UPLINK_INTERFACE_DUPLICATE', at, `'${name}' is already the interface of uplink '${first.section.name}' (line ${first.origin.line}); valid: one uplink per interface`, name);
		else seen.set(name, r);
		if (ctx.network === null || name === wanName) continue; // the shared WAN's device is our macvlan
		const iface = ctx.network.get(name);
		if (!iface) {
			const hint = didYouMean(name, [...ctx.network.keys()]);
			ctx.error('IFACE_UNKNOWN', at, `'${shown(name)}' is not an interface in ${ctx.networkFile}; ${hint ? `did you mean '${hint}'?` : `valid: ${[...ctx.network.keys()].join(', ') || 'none'}`}`, name);
			continue;
		}
		if (iface.device === null) ctx.error('IFACE_NO_DEVICE', at, `interface '${name}' has no device or ifname in ${ctx.networkFile} (line ${iface.line})`, name);
		const g = ctx.groups.find((x) => v<string>(x.read, 'interface') === name);
		if (g) ctx.error('UPLINK_IS_VRRP', at, `'${name}' is the interface of vrrp '${g.name}', a LAN; valid: an interface that leads to an ISP`, name);
		if (v<string>(ctx.sync, 'interface') === name) ctx.error('UPLINK_IS_SYNC', at, `'${name}' is the sync interface; valid: an interface that leads to an ISP`, name);
	}
}

/** Balancing needs somewhere to send connections. */
function someWeightAboveZero(ctx: RuleContext): void {
	const live = uplinks(ctx).filter(enabled);
	if (live.length === 0) return;
	const weights = live.map((r) => v<number>(r, 'weight'));
	if (weights.some((w) => w === undefined)) return; // already reported
	if (weights.every((w) => w === 0)) {
		const r = live[0]!;
		ctx.error('WEIGHTS_ALL_ZERO', r.at('weight'), `every enabled uplink has weight 0 (${live.map((x) => x.section.name).join(', ')}), so no connection could be balanced; valid: at least one weight 1..1000`, '0');
	}
}

function morePreferredThanOne(ctx: RuleContext): void {
	const preferred = uplinks(ctx).filter((r) => enabled(r) && v<boolean>(r, 'preferred') === true);
	for (const r of preferred.slice(1)) {
		ctx.error('PREFERRED_TWICE', r.at('preferred'), `uplink '${preferred[0]!.section.name}' (line ${preferred[0]!.origin.line}) is already the preferred one; valid: at most one uplink with preferred '1'`, '1');
	}
}

/** A rule's target must exist: an enabled uplink, or a tier one of them is in. */
function ruleTargetExists(ctx: RuleContext): void {
	const names = uplinks(ctx).map((r) => r.section.name);
	const live = uplinks(ctx).filter(enabled);
	for (const r of uplinkRules(ctx)) {
		const u = v<UseSpec>(r, 'use');
		if (!u) continue;
		if (u.kind === 'uplink') {
			const target = uplinks(ctx).find((x) => x.section.name === u.uplink);
			if (!target) {
				const hint = didYouMean(u.uplink, names);
				ctx.error('UPLINK_UNKNOWN', r.at('use'), `'${shown(u.uplink)}' is not an uplink section; ${hint ? `did you mean '${hint}'?` : `valid: 'balanced', 'tier <n>'${names.length ? ` or ${names.join(', ')}` : ''}`}`, u.uplink);
			} else if (!enabled(target)) {
				ctx.warn('UPLINK_DISABLED', r.at('use'), `uplink '${u.uplink}' is disabled: the rule balances its connections instead`, u.uplink);
			}
		} else if (u.kind === 'tier' && !live.some((x) => v<number>(x, 'tier') === u.tier)) {
			const tiers = [...new Set(live.map((x) => v<number>(x, 'tier')).filter((t) => t !== undefined))].sort((a, b) => a! - b!);
			ctx.error('TIER_UNKNOWN', r.at('use'), `no enabled uplink is in tier ${u.tier}; valid: ${tiers.length ? tiers.map((t) => `'tier ${t}'`).join(', ') : "an uplink's tier"}, 'balanced' or an uplink name`, `tier ${u.tier}`);
		}
	}
	if (uplinkRules(ctx).length > 0 && uplinks(ctx).length === 0) {
		const r = uplinkRules(ctx)[0]!;
		ctx.error('UPLINK_RULE_WITHOUT_UPLINKS', r.origin, "there are no uplink sections for this rule to choose from; valid: add 'config uplink' sections or remove the rule");
	}
}

/** Every prefix of a rule is of the rule's family (nft matches one family per rule). */
function rulePrefixesMatchFamily(ctx: RuleContext): void {
	for (const r of uplinkRules(ctx)) {
		const family = v<string>(r, 'family') === 'ipv6' ? 6 : 4;
		for (const option of ['dest_ip', 'src_ip']) {
			for (const c of v<Cidr[]>(r, option) ?? []) {
				if (c.family !== family) ctx.error('PREFIX_FAMILY', r.at(option), `'${cidrText(c)}' is ${fam(c.family)} but the rule is family '${family === 4 ? 'ipv4' : 'ipv6'}'; valid: ${fam(family)} prefixes, or a second rule with family '${c.family === 4 ? 'ipv4' : 'ipv6'}'`, cidrText(c));
			}
		}
	}
}

function rulePortsNeedProto(ctx: RuleContext): void {
	for (const r of uplinkRules(ctx)) {
		const ports = v<string[]>(r, 'dest_port') ?? [];
		const proto = v<string>(r, 'proto');
		if (ports.length > 0 && proto !== undefined && proto !== 'tcp' && proto !== 'udp') {
			ctx.error('PORT_WITHOUT_PROTO', r.at('dest_port'), `ports need proto 'tcp' or 'udp', not '${proto}'`, ports[0]);
		}
	}
}

function ruleMatchesSomething(ctx: RuleContext): void {
	for (const r of uplinkRules(ctx)) {
		const any = ['dest_ip', 'src_ip', 'dest_port'].some((o) => (v<unknown[]>(r, o) ?? []).length > 0) || (v<string>(r, 'proto') ?? 'all') !== 'all';
		if (!any) ctx.warn('RULE_MATCHES_ALL', r.origin, 'matches every connection of its family (no dest_ip, src_ip, dest_port or proto): no other uplink_rule after it and no balancing will apply');
	}
}

/** A port means nothing to an ICMP echo: say so rather than ignore it. */
function trackPortNeedsMethod(ctx: RuleContext): void {
	for (const r of uplinks(ctx)) {
		const port = v<number | null>(r, 'track_port');
		if (port !== null && port !== undefined && v<string>(r, 'track_method') === 'icmp') {
			ctx.error('TRACK_PORT_WITHOUT_METHOD', r.at('track_port'), "an ICMP echo has no port; valid: track_method 'tcp' or 'dns' with track_port, or no track_port", String(port));
		}
	}
}

export const UPLINK_RULES: readonly Rule[] = [
	uplinkNamesUnique,
	uplinkInterfaceResolves,
	someWeightAboveZero,
	morePreferredThanOne,
	ruleTargetExists,
	rulePrefixesMatchFamily,
	rulePortsNeedProto,
	ruleMatchesSomething,
	trackPortNeedsMethod,
];
