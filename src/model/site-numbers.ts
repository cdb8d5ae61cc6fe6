// The numbers a site needs in the kernel, allocated by ha-router from one scheme so the user never
// types (or collides) them: the site's 1-based position in the sorted site names, added to one base.
// 0x4800 ('H') keeps them clear of OpenWrt's own ranges: rule preferences 0, 32766, 32767 and
// mwan3's 1000..2254; tables 253..255 and mwan3's 1..250; zones are unused by fw4. The mark is the
// site's index in the top byte (mwan3 uses 0x3f00, fw4 none, the uplinks 0x00ff0000) and is matched
// with SITE_MARK_MASK only.
// Adding a site whose name sorts before others renumbers those (docs/decisions.md, "Sites").

import type { SiteNumbers } from './types.ts';

export const SITE_BASE = 0x4800;
/** At most this many sites: the numbers stay below 0x4900. */
export const SITE_MAX = 200;
export const SITE_MARK_MASK = 0xff000000;
/** Rule preferences and table numbers ha-router owns: teardown and apply remove only these. */
export const SITE_RANGE = { first: SITE_BASE + 1, last: SITE_BASE + SITE_MAX } as const;

/** Numbers for the site at 0-based position `position` of the sorted names. */
export function siteNumbers(name: string, position: number): SiteNumbers {
	const index = position + 1;
	const n = SITE_BASE + index;
	return { index, zone: n, mark: index * 0x1000000, table: n, tableName: `ha_${name}`, rulePref: n };
}

export const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
