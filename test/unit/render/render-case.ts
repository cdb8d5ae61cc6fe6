// Renders every golden file of one case: file name -> content, or null for "no such file".

import type { Paths } from '../../../src/model/paths.ts';
import { renderConntrackd } from '../../../src/render/conntrackd.ts';
import { renderFw4Input } from '../../../src/render/fw4-input.ts';
import { renderKeepalived, renderKeepalivedWan } from '../../../src/render/keepalived.ts';
import type { WanLease } from '../../../src/model/types.ts';
import { renderNetworkEdits } from '../../../src/render/network.ts';
import { renderNft } from '../../../src/render/nft.ts';
import { renderRtTables, renderSiteRoutes } from '../../../src/render/sites.ts';
import { renderUplinkMapUpdate, uplinkIpRules, uplinkRouteCommands } from '../../../src/render/uplinks.ts';
import { commandLine } from '../../../src/render/text.ts';
import type { GoldenCase } from './models.ts';

/** iproute2's shipped /etc/iproute2/rt_tables. */
export const STOCK_RT_TABLES = '#\n# reserved values\n#\n255\tlocal\n254\tmain\n253\tdefault\n0\tunspec\n#\n# local\n#\n#1\tinr.ruhep\n';

export const GOLDEN_FILES = ['keepalived.conf', 'keepalived-wan.conf', 'conntrackd.conf', 'ruleset.nft', 'fw4-input.nft', 'network-edits.json', 'site-routes', 'rt_tables', 'uplinks-routing.txt', 'uplinks-update.nft'] as const;
export type GoldenFile = (typeof GOLDEN_FILES)[number];

/** The case's lease: its WAN address in a /24 whose .1 is the gateway. */
export function caseLease(c: GoldenCase): WanLease | null {
	if (c.wanAddress === null) return null;
	return { address: { address: c.wanAddress, prefix: 24, family: 4 }, gateway: c.wanAddress.replace(/\.\d+$/, '.1') };
}

export function renderCase(c: GoldenCase, paths: Paths): Record<GoldenFile, string | null> {
	return {
		'keepalived.conf': renderKeepalived(c.model, paths),
		'keepalived-wan.conf': c.model.wan ? renderKeepalivedWan(c.model, caseLease(c)) : null,
		'conntrackd.conf': renderConntrackd(c.model, paths, { conntrackMax: c.conntrackMax }),
		'ruleset.nft': renderNft(c.model, { wanAddress: c.wanAddress, ...(c.uplinkFacts ? { uplinks: c.uplinkFacts } : {}) }),
		'fw4-input.nft': renderFw4Input(c.model),
		'network-edits.json': JSON.stringify(renderNetworkEdits(c.model), null, '\t') + '\n',
		'site-routes': renderSiteRoutes(c.model),
		// Our block added to the stock file, which stays as it was.
		'rt_tables': c.model.sites.length ? renderRtTables(c.model, STOCK_RT_TABLES) : null,
		'uplinks-routing.txt': c.model.uplinks ? [...uplinkIpRules(c.model).map((r) => r.argv), ...uplinkRouteCommands(c.model, c.uplinkFacts?.gateways ?? {})].map(commandLine).join('\n') + '\n' : null,
		'uplinks-update.nft': c.model.uplinks ? renderUplinkMapUpdate(c.model, c.uplinkFacts?.dead ?? []) : null,
	};
}
