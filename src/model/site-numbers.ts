// The numbers a site needs in the kernel, allocated by ha-router from one scheme so the user never
// types (or collides) them: the site's 1-based position in the sorted site names, added to one base.
// 0x4800 ('H') keeps them clear of OpenWrt's own ranges: rule preferences 0, 32766, 32767 and
// mwan3's 1..250 tables; zones are unused by fw4. The mark is the site's index in the top byte
// (mwan3 uses 0x3f00, fw4 none, the uplinks 0x00ff0000), matched with SITE_MARK_MASK only. The rule
// preference is SITE_PREF_BASE + index: before the uplinks' rules (1800..), so a reply to a site
// finds its table even when the several-WAN mark chose an uplink for the connection; clear of
// mwan3's 1001..1250 and 2001.. .
// Adding a site whose name sorts before others renumbers those (docs/decisions.md, "Sites").

import type { SiteNumbers } from './types.ts';

export const SITE_BASE = 0x4800;
/** At most this many sites: the numbers stay below 0x4900. */
export const SITE_MAX = 200;
export const SITE_MARK_MASK = 0xff000000;
export const SITE_PREF_BASE = 1500;
/** Table numbers and rule preferences ha-router owns for sites: teardown and apply remove only these. */
export const SITE_TABLES = { first: SITE_BASE + 1, last: SITE_BASE + SITE_MAX } as const;
export const SITE_PREFS = { first: SITE_PREF_BASE + 1, last: SITE_PREF_BASE + SITE_MAX } as const;

/** Numbers for the site at 0-based position `position` of the sorted names. */
export function siteNumbers(name: string, position: number): SiteNumbers {
	const index = position + 1;
	const n = SITE_BASE + index;
	return { index, zone: n, mark: index * 0x1000000, table: n, tableName: `ha_${name}`, rulePref: SITE_PREF_BASE + index };
}

/**
 * keepalived `virtual_server fwmark` marks of services with balancer 'lvs': 0x4900 + position in
 * the sorted service names, the whole mark (IPVS compares all 32 bits), so never with a site mark.
 */
export const SERVICE_FWMARK_BASE = 0x4900;

export const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
