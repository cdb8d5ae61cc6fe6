// UCI glue for other packages: keepalived reads our keepalived.conf, and fw4 puts our table back
// after a firewall restart and admits VRRP/sync in its input chain. See docs/decisions.md,
// "Firewall integration".

import type { Paths } from '../model/paths.ts';
import type { UciChange } from '../model/uci-edit.ts';

/**
 * keepalived's init symlinks /tmp/keepalived.conf to alt_config_file, read from the section NAMED
 * globals, and starts nothing while that section says `enabled '0'`, as OpenWrt's default file
 * does (docs/openwrt-contracts.md).
 */
export function renderKeepalivedUci(paths: Paths): UciChange {
	return {
		package: 'keepalived',
		edits: [
			{ op: 'section', type: 'globals', name: 'globals' },
			{ op: 'set', section: 'globals', option: 'enabled', value: '1' },
			{ op: 'set', section: 'globals', option: 'alt_config_file', value: paths.keepalivedConf },
		],
	};
}

export const FIREWALL_INCLUDE = 'ha_router';
export const FIREWALL_INPUT_INCLUDE = 'ha_router_input';

/**
 * Two nftables includes, so fw4 itself loads our rules inside its own `nft -f` transaction and
 * runs no process of ours: every fw4 start, reload and restart (also the one after each ifup)
 * puts table inet ha_router back as last loaded, and a file that does not exist yet is skipped.
 * A `script` include would run with SIGCHLD blocked under ucode's system() and hang.
 */
export function renderFirewallUci(paths: Paths): UciChange {
	const s = FIREWALL_INCLUDE;
	const i = FIREWALL_INPUT_INCLUDE;
	return {
		package: 'firewall',
		edits: [
			{ op: 'section', type: 'include', name: s },
			{ op: 'set', section: s, option: 'type', value: 'nftables' },
			{ op: 'set', section: s, option: 'path', value: paths.nftLoaded },
			{ op: 'set', section: s, option: 'position', value: 'ruleset-post' },
			// Left by versions that ran a script include.
			{ op: 'delete', section: s, option: 'fw4_compatible' },
			{ op: 'section', type: 'include', name: i },
			{ op: 'set', section: i, option: 'type', value: 'nftables' },
			{ op: 'set', section: i, option: 'path', value: paths.fw4Input },
			{ op: 'set', section: i, option: 'position', value: 'chain-pre' },
			{ op: 'set', section: i, option: 'chain', value: 'input' },
		],
	};
}
