// Several WANs on a running node (issue 14): reads what the renderers need from the kernel (each
// uplink's address and gateway) and the health monitor's verdicts, and brings our ip rules and the
// uplinks' routing tables in line with the Model. Our nft table itself is loaded by loadNftTable
// (system-effects.ts) with these facts.
import type { Paths } from '../model/paths.ts';
import type { Model, Uplink } from '../model/types.ts';
import { UPLINK_MARK_MASK, UPLINK_TABLE_BASE } from '../model/uplink-ids.ts';
import { type UplinkFacts, onlyChoiceMapsDiffer, renderUplinkMapUpdate, uplinkIpRules, uplinkRouteCommands } from '../render/uplinks.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { SystemError } from '../errors.ts';
import { addresses, defaultRoute, ipJson } from '../system/iproute.ts';
import { firstLine, run } from '../system/run.ts';
import { nftApply } from '../system/nft.ts';
import { decodeUtf8 } from '../util/utf8.ts';
import { readJson } from './read-json.ts';
import { type UplinkState, avoidedLinks } from '../plan/uplink-health.ts';

/** Our ip rules live at these priorities; any other rule is someone else's and left alone. */
const OUR_PRIORITIES = { from: UPLINK_TABLE_BASE, to: UPLINK_TABLE_BASE + 255 };

/** The health monitor's file: one entry per uplink (src/exec/uplink-monitor.ts writes it). */
export interface UplinkStatusFile {
	readonly links: Readonly<Record<string, { readonly state: UplinkState }>>;
}

export const uplinkStatusPath = (paths: Paths): string => `${paths.runDir}/uplinks.json`;

export interface KernelUplinkFacts extends UplinkFacts {
	readonly gateways: Readonly<Record<string, string | null>>;
}

/** Address and gateway of each uplink's device as the kernel has them now (null when it has none). */
export async function readUplinkFacts(rt: Runtime, model: Model, paths: Paths): Promise<KernelUplinkFacts> {
	const addressesOf: Record<string, string | null> = {};
	const gateways: Record<string, string | null> = {};
	// All at once: this runs in a takeover's SNAT update.
	await Promise.all(
		(model.uplinks?.links ?? []).map(async (l) => {
			// A device that does not exist (the shared WAN on a BACKUP, an interface down) has neither.
			const [addrs, route] = await Promise.all([addresses(rt, l.device).catch(() => []), defaultRoute(rt, l.device).catch(() => null)]);
			addressesOf[l.name] = addrs.find((a) => a.family === 4)?.local ?? null;
			gateways[l.name] = route?.gateway ?? null;
		}),
	);
	const status = await readJson<UplinkStatusFile>(rt, uplinkStatusPath(paths));
	const states = Object.fromEntries((model.uplinks?.links ?? []).map((l) => [l.name, status?.links[l.name]?.state ?? 'alive'] as const));
	return { addresses: addressesOf, gateways, dead: avoidedLinks(states) };
}

/** Live connections per uplink (by name): the kernel's conntrack entries by their uplink mark bits. */
export async function uplinkConnections(rt: Runtime, model: Model): Promise<Record<string, number> | null> {
	const links = model.uplinks?.links ?? [];
	// One listing for every uplink (a command's cost, never the agent's: it grows with the table).
	const r = await run(rt, ['conntrack', '-L', '-f', 'ipv4'], { okCodes: [0, 1], timeoutMs: 10_000 }).catch(() => null);
	if (r === null || r.code !== 0) return null;
	const byMark = new Map<number, number>();
	for (const m of r.stdout.matchAll(/\bmark=(\d+)/g)) {
		const bits = (Number(m[1]) & UPLINK_MARK_MASK) >>> 0;
		if (bits !== 0) byMark.set(bits, (byMark.get(bits) ?? 0) + 1);
	}
	return Object.fromEntries(links.map((l) => [l.name, byMark.get((l.mark & UPLINK_MARK_MASK) >>> 0) ?? 0]));
}

/**
 * Forgets the TCP connections still trying to open over an uplink just taken out of the balance
 * (conntrack SYN_SENT with its mark bits): their next SYN is a new connection and takes an alive
 * uplink, instead of retrying a dead path until the client gives up. Open connections are kept:
 * the uplink may come back in time for them. The count deleted, or null when conntrack failed.
 */
export async function dropUnansweredAttempts(rt: Runtime, link: Uplink): Promise<number | null> {
	const mark = `0x${((link.mark & UPLINK_MARK_MASK) >>> 0).toString(16)}/0x${UPLINK_MARK_MASK.toString(16)}`;
	const r = await run(rt, ['conntrack', '-D', '-p', 'tcp', '--state', 'SYN_SENT', '--mark', mark], { okCodes: [0, 1], timeoutMs: 5000 }).catch(() => null);
	if (r === null) return null;
	return Number(/(\d+) flow entries have been deleted/.exec(r.stderr)?.[1] ?? 0);
}

interface IpRuleJson {
	priority?: number;
	table?: string;
	fwmark?: string;
	fwmask?: string;
	suppress_prefixlen?: number;
}

const ruleKey = (priority: number, table: string, mark: number | null, suppress: number | null) => `${priority}|${table}|${mark ?? ''}|${suppress ?? ''}`;

function keyOfJson(r: IpRuleJson): string {
	const mark = r.fwmark === undefined ? null : (Number(r.fwmark) & Number(r.fwmask ?? '0xffffffff')) >>> 0;
	return ruleKey(r.priority ?? -1, r.table ?? '', mark, r.suppress_prefixlen ?? null);
}

/**
 * Our ip rules as the Model wants them: a rule already right stays, a wrong or stale one of ours
 * (priority 1800..2055) goes, a missing one is added. Then each uplink's table gets its default route.
 */
export async function syncUplinkRouting(rt: Runtime, model: Pick<Model, 'uplinks'>, gateways: Readonly<Record<string, string | null>>): Promise<void> {
	const wanted = new Map<string, readonly string[]>();
	const u = model.uplinks;
	if (u && u.links.length > 0) {
		const rules = uplinkIpRules(model);
		wanted.set(ruleKey(UPLINK_TABLE_BASE, 'main', null, 0), rules[0]!.argv);
		u.links.forEach((l, i) => wanted.set(ruleKey(l.table, String(l.table), (l.mark & UPLINK_MARK_MASK) >>> 0, null), rules[i + 1]!.argv));
	}
	const current = (await ipJson<IpRuleJson>(rt, ['-4', 'rule', 'show'])).filter((r) => r.priority !== undefined && r.priority >= OUR_PRIORITIES.from && r.priority <= OUR_PRIORITIES.to);
	const have = new Set<string>();
	for (const r of current) {
		const key = keyOfJson(r);
		if (wanted.has(key) && !have.has(key)) {
			have.add(key);
			continue;
		}
		await run(rt, ['ip', '-4', 'rule', 'del', 'priority', String(r.priority), ...(r.table ? ['lookup', r.table] : [])]);
	}
	for (const [key, argv] of wanted) if (!have.has(key)) await run(rt, argv);
	for (const argv of uplinkRouteCommands(model, gateways)) {
		const r = await run(rt, argv, { okCodes: [0, 2] });
		// Flushing a table that was never made is fine; anything else is not.
		if (r.code === 2 && !/does not exist/.test(r.stderr)) throw new SystemError('ip', `${argv.slice(1).join(' ')}: ${firstLine(r.stderr)}`, r.code, r.stderr);
	}
}

/** Removes every ip rule of ours (teardown). */
export async function removeUplinkRouting(rt: Runtime): Promise<void> {
	await syncUplinkRouting(rt, {}, {});
}

/**
 * Loads our table with uplinks. When it differs from the loaded one (table.nft) only in the choice
 * maps' elements (a weight changed in the config), only those elements are rewritten, in one
 * transaction, and no rule is replaced; if that fails (the table is not there: a firewall stop),
 * the whole table is loaded.
 */
export async function loadUplinkTable(rt: Runtime, model: Model, paths: Paths, table: string, dead: readonly string[]): Promise<void> {
	const raw = await rt.readFile(paths.nftLoaded);
	const loaded = raw === null ? null : decodeUtf8(raw);
	if (loaded !== null && onlyChoiceMapsDiffer(loaded, table)) {
		try {
			await nftApply(rt, renderUplinkMapUpdate(model, dead));
			return;
		} catch {
			// fall through: the whole table
		}
	}
	await nftApply(rt, table);
}
