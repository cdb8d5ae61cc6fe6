// The one numbering scheme of the several-WAN data path (issue 14), documented in docs/decisions.md
// ("Uplink marks and routing tables"). The n-th uplink section of /etc/config/ha-router (1-based,
// disabled ones count too, so disabling one renumbers nothing):
//   connection mark  n << 16, inside UPLINK_MARK_MASK (0x00ff0000: clear of mwan3's 0x3f00 and of
//                    the low byte other packages use)
//   routing table    UPLINK_TABLE_BASE + n   (1801..1832: clear of OpenWrt's 0..255 and mwan3's 1..250)
//   ip rule          priority UPLINK_TABLE_BASE + n: fwmark n << 16/0x00ff0000 lookup that table,
//                    after one rule at UPLINK_TABLE_BASE: lookup main suppress_prefixlength 0 (the
//                    main table's specific routes, e.g. the LAN, win over an uplink's default)
// Adding a section at the end keeps every number; inserting or removing one in the middle renumbers
// the later ones (their open connections then follow the new numbers' uplinks).

export const UPLINK_MARK_MASK = 0x00ff0000;
export const UPLINK_MARK_SHIFT = 16;
export const UPLINK_TABLE_BASE = 1800;

export function uplinkMark(position: number): number {
	return position << UPLINK_MARK_SHIFT;
}

export function uplinkTable(position: number): number {
	return UPLINK_TABLE_BASE + position;
}

/** 0x00010000: how nft and ip print a mark. */
export function markHex(mark: number): string {
	return `0x${mark.toString(16).padStart(8, '0')}`;
}
