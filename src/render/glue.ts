// UCI glue for other packages: keepalived reads our keepalived.conf, and fw4 puts our table back
// after a firewall restart and admits VRRP/sync in its input chain. See docs/decisions.md,
// "Firewall integration".

import type { Paths } from '../model/paths.ts';
import type { UciChange } from '../model/uci-edit.ts';

/** keepalived's init symlinks /tmp/keepalived.conf to alt_config_file, read from the section NAMED globals. */
export function renderKeepalivedUci(paths: Paths): UciChange {
	return {
		package: 'keepalived',
		edits: [
			{ op: 'section', type: 'globals', name: 'globals' },
			{ op: 'set', section: 'globals', option: 'alt_config_file', value: paths.keepalivedConf },
		],
	};
}

/** Where the two fw4 include files live: next to our ruleset. */
export interface FirewallFiles {
	/** Shell snippet fw4 sources after loading its ruleset; shipped by the package (files/). */
	readonly script: string;
	/** nft rules fw4 puts at the start of its input chain (renderFw4Input). */
	readonly input: string;
}

export function firewallFiles(paths: Paths): FirewallFiles {
	const dir = paths.nftRuleset.slice(0, paths.nftRuleset.lastIndexOf('/'));
	return { script: `${paths.root}/usr/libexec/ha-router/firewall.include`, input: `${dir}/fw4-input.nft` };
}

export const FIREWALL_INCLUDE = 'ha_router';
export const FIREWALL_INPUT_INCLUDE = 'ha_router_input';

export function renderFirewallUci(files: FirewallFiles): UciChange {
	const s = FIREWALL_INCLUDE;
	const i = FIREWALL_INPUT_INCLUDE;
	return {
		package: 'firewall',
		edits: [
			// fw4 flushes every table on stop/restart; this puts ours back, with the current lease address.
			{ op: 'section', type: 'include', name: s },
			{ op: 'set', section: s, option: 'type', value: 'script' },
			{ op: 'set', section: s, option: 'path', value: files.script },
			{ op: 'set', section: s, option: 'fw4_compatible', value: '1' },
			// Static between applies (no lease in it), so an nftables include inside fw4's own transaction.
			{ op: 'section', type: 'include', name: i },
			{ op: 'set', section: i, option: 'type', value: 'nftables' },
			{ op: 'set', section: i, option: 'path', value: files.input },
			{ op: 'set', section: i, option: 'position', value: 'chain-pre' },
			{ op: 'set', section: i, option: 'chain', value: 'input' },
		],
	};
}

