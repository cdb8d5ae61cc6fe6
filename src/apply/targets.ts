// Pure: the Model -> every file apply owns, with its content, mode and what must reload when it
// changes. UCI files are edited losslessly from their current text.
import { applyUciEdits } from '../config/apply-uci-edits.ts';
import type { Paths } from '../model/paths.ts';
import type { Model } from '../model/types.ts';
import type { UciChange } from '../model/uci-edit.ts';
import { renderConntrackd } from '../render/conntrackd.ts';
import { renderDhcpEdits } from '../render/dhcp.ts';
import { renderFw4Input } from '../render/fw4-input.ts';
import { renderFirewallUci, renderKeepalivedUci } from '../render/glue.ts';
import { renderKeepalived } from '../render/keepalived.ts';
import { renderNetworkEdits } from '../render/network.ts';
import { renderNft } from '../render/nft.ts';
import { renderRtTables, renderSiteRoutes } from '../render/sites.ts';

/** What to reload when a file changed; run in this order (dependencies first). */
export const RELOADS = ['network', 'conntrackd', 'keepalived', 'nft', 'routes', 'firewall'] as const;
export type Reload = (typeof RELOADS)[number];

/** The other packages' UCI files apply edits (losslessly; they stay the user's files). */
export const UCI_PACKAGES = ['network', 'keepalived', 'firewall', 'dhcp'] as const;
export type UciTexts = Readonly<Record<(typeof UCI_PACKAGES)[number], string | null>>;

export interface Target {
	readonly path: string;
	/** null: the file must not exist. */
	readonly content: string | null;
	readonly mode: number;
	/** null: nothing reloads (the change takes effect at the next start). */
	readonly reload: Reload | null;
}

export interface TargetFacts {
	readonly platform: 'openwrt' | 'linux';
	/** /proc/sys/net/netfilter/nf_conntrack_max. */
	readonly conntrackMax: number;
	/** Current text of the UCI files apply edits (null when missing). */
	readonly uci: UciTexts;
	/** Their current permission bits: an edit keeps them, as `uci commit` does (keepalived ships 0600). */
	readonly uciModes?: Readonly<Partial<Record<keyof UciTexts, number>>>;
	/** Current /etc/iproute2/rt_tables (null when missing or not read). */
	readonly rtTables?: string | null;
}

/** Our edits of other packages' UCI files (they stay the user's files: edited, never rewritten). */
export function uciChanges(model: Model, paths: Paths, platform: TargetFacts['platform'], uci: UciTexts): UciChange[] {
	const changes: UciChange[] = [];
	if (model.wan) changes.push(renderNetworkEdits(model));
	if (platform === 'openwrt') {
		changes.push(renderKeepalivedUci(paths), renderFirewallUci(paths));
		const dhcp = renderDhcpEdits(model, uci.dhcp, `${paths.configDir}/dhcp`);
		if (dhcp.edits.length) changes.push(dhcp);
	}
	return changes;
}

/** dhcp: never reloaded, a dnsmasq reload STARTS a stopped dnsmasq (on a BACKUP too); the MASTER's next start reads it. */
const UCI_RELOAD: Readonly<Record<keyof UciTexts, Reload | null>> = { network: 'network', keepalived: 'keepalived', firewall: 'firewall', dhcp: null };

export function renderTargets(model: Model, paths: Paths, facts: TargetFacts): Target[] {
	const targets: Target[] = [
		// 0600: it holds the VRRP password.
		{ path: paths.keepalivedConf, content: renderKeepalived(model, paths), mode: 0o600, reload: 'keepalived' },
		{ path: paths.conntrackdConf, content: renderConntrackd(model, paths, { conntrackMax: facts.conntrackMax }), mode: 0o644, reload: 'conntrackd' },
		// On disk without a lease address; the loaded table carries the known lease (paths.nftLoaded).
		{ path: paths.nftRuleset, content: renderNft(model, { wanAddress: null }), mode: 0o644, reload: 'nft' },
	];
	// The sites' rules and routes, and their table names (names only show in `ip` output: no reload).
	targets.push({ path: paths.siteRoutes, content: renderSiteRoutes(model), mode: 0o644, reload: 'routes' });
	const rtTables = facts.rtTables ?? null;
	targets.push({ path: paths.rtTables, content: renderRtTables(model, rtTables), mode: 0o644, reload: null });
	if (facts.platform === 'openwrt') targets.push({ path: paths.fw4Input, content: renderFw4Input(model), mode: 0o644, reload: 'firewall' });
	for (const change of uciChanges(model, paths, facts.platform, facts.uci)) {
		const pkg = change.package as keyof UciTexts;
		const path = `${paths.configDir}/${pkg}`;
		targets.push({ path, content: applyUciEdits(facts.uci[pkg] ?? '', path, change.edits), mode: facts.uciModes?.[pkg] ?? 0o644, reload: UCI_RELOAD[pkg] });
	}
	return targets;
}
