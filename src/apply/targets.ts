// Pure: the Model -> every file apply owns, with its content, mode and what must reload when it
// changes. UCI files are edited losslessly from their current text.
import { applyUciEdits } from '../config/apply-uci-edits.ts';
import type { Paths } from '../model/paths.ts';
import type { Model } from '../model/types.ts';
import type { UciChange } from '../model/uci-edit.ts';
import { renderConntrackd } from '../render/conntrackd.ts';
import { renderFw4Input } from '../render/fw4-input.ts';
import { firewallFiles, renderFirewallUci, renderKeepalivedUci } from '../render/glue.ts';
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

function edited(paths: Paths, change: UciChange, current: string | null): string {
	return applyUciEdits(current ?? '', `${paths.configDir}/${change.package}`, change.edits);
}

export function renderTargets(model: Model, paths: Paths, facts: TargetFacts): Target[] {
	const targets: Target[] = [
		// 0600: it holds the VRRP password.
		{ path: paths.keepalivedConf, content: renderKeepalived(model, paths), mode: 0o600, reload: 'keepalived' },
		{ path: paths.conntrackdConf, content: renderConntrackd(model, paths, { conntrackMax: facts.conntrackMax }), mode: 0o644, reload: 'conntrackd' },
		// On disk without a lease address; the loaded table carries the known lease (see firewall command).
		{ path: paths.nftRuleset, content: renderNft(model, { wanAddress: null }), mode: 0o644, reload: 'nft' },
	];
	if (model.wan) {
		targets.push({ path: `${paths.configDir}/network`, content: edited(paths, renderNetworkEdits(model), facts.uci.network), mode: 0o644, reload: 'network' });
	}
	if (facts.platform === 'openwrt') {
		const fw = firewallFiles(paths);
		targets.push(
			{ path: fw.input, content: renderFw4Input(model), mode: 0o644, reload: 'firewall' },
			{ path: `${paths.configDir}/keepalived`, content: edited(paths, renderKeepalivedUci(paths), facts.uci.keepalived), mode: 0o644, reload: 'keepalived' },
			{ path: `${paths.configDir}/firewall`, content: edited(paths, renderFirewallUci(fw), facts.uci.firewall), mode: 0o644, reload: 'firewall' },
		);
	}
	return targets;
}
