// Pure: the Model -> every file apply owns, with its content, mode and what must reload when it
// changes. UCI files are edited losslessly from their current text.
import { applyUciEdits } from '../config/apply-uci-edits.ts';
import type { Paths } from '../model/paths.ts';
import type { Model } from '../model/types.ts';
import type { UciChange } from '../model/uci-edit.ts';
import { renderConntrackd } from '../render/conntrackd.ts';
import { renderFw4Input } from '../render/fw4-input.ts';
import { fw4InputFile, renderFirewallUci, renderKeepalivedUci } from '../render/glue.ts';
import { renderKeepalived } from '../render/keepalived.ts';
import { renderNetworkEdits } from '../render/network.ts';
import { renderNft } from '../render/nft.ts';

/** What to reload when a file changed; run in this order (dependencies first). */
export const RELOADS = ['network', 'conntrackd', 'keepalived', 'nft', 'firewall'] as const;
export type Reload = (typeof RELOADS)[number];

export interface Target {
	readonly path: string;
	/** null: the file must not exist. */
	readonly content: string | null;
	readonly mode: number;
	readonly reload: Reload;
}

export interface TargetFacts {
	readonly platform: 'openwrt' | 'linux';
	/** /proc/sys/net/netfilter/nf_conntrack_max. */
	readonly conntrackMax: number;
	/** Current text of the UCI files apply edits (null when missing). */
	readonly uci: Readonly<Record<'network' | 'keepalived' | 'firewall', string | null>>;
}

/** Our edits of other packages' UCI files (they stay the user's files: edited, never rewritten). */
export function uciChanges(model: Model, paths: Paths, platform: TargetFacts['platform']): UciChange[] {
	const changes: UciChange[] = [];
	if (model.wan) changes.push(renderNetworkEdits(model));
	if (platform === 'openwrt') changes.push(renderKeepalivedUci(paths), renderFirewallUci(paths));
	return changes;
}

const UCI_RELOAD: Readonly<Record<string, Reload>> = { network: 'network', keepalived: 'keepalived', firewall: 'firewall' };

export function renderTargets(model: Model, paths: Paths, facts: TargetFacts): Target[] {
	const targets: Target[] = [
		// 0600: it holds the VRRP password.
		{ path: paths.keepalivedConf, content: renderKeepalived(model, paths), mode: 0o600, reload: 'keepalived' },
		{ path: paths.conntrackdConf, content: renderConntrackd(model, paths, { conntrackMax: facts.conntrackMax }), mode: 0o644, reload: 'conntrackd' },
		// On disk without a lease address; the loaded table carries the known lease (paths.nftLoaded).
		{ path: paths.nftRuleset, content: renderNft(model, { wanAddress: null }), mode: 0o644, reload: 'nft' },
	];
	if (facts.platform === 'openwrt') targets.push({ path: fw4InputFile(paths), content: renderFw4Input(model), mode: 0o644, reload: 'firewall' });
	for (const change of uciChanges(model, paths, facts.platform)) {
		const pkg = change.package as keyof TargetFacts['uci'];
		const path = `${paths.configDir}/${pkg}`;
		targets.push({ path, content: applyUciEdits(facts.uci[pkg] ?? '', path, change.edits), mode: 0o644, reload: UCI_RELOAD[pkg]! });
	}
	return targets;
}
