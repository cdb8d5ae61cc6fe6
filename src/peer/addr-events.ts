// IPv4 address events from the kernel (rtnetlink RTM_NEWADDR / RTM_DELADDR), parsed from the raw
// messages the runtime hands over. The agent sees keepalived add or remove a VIP the moment it
// happens, without waiting for the notify hook to start (pure; little-endian hosts only, as the
// package is: the netlink header is in host byte order).

/** rtnetlink multicast group of IPv4 address changes (RTMGRP_IPV4_IFADDR). */
export const IPV4_ADDRESS_GROUP = 0x10;

const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const AF_INET = 2;

export interface AddressEvent {
	readonly added: boolean;
	readonly address: string;
}

/** Every IPv4 address added or removed in one datagram of netlink messages. */
export function parseAddressEvents(buf: Uint8Array): AddressEvent[] {
	const out: AddressEvent[] = [];
	const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
	for (let o = 0; o + 24 <= buf.length; ) {
		const len = v.getUint32(o, true);
		const type = v.getUint16(o + 4, true);
		if (len < 16 || o + len > buf.length) break;
		if ((type === RTM_NEWADDR || type === RTM_DELADDR) && buf[o + 16] === AF_INET) {
			let address: string | null = null;
			// struct ifaddrmsg is 8 bytes after the 16-byte header; attributes follow, 4-byte aligned.
			for (let a = o + 24; a + 8 <= o + len; ) {
				const alen = v.getUint16(a, true);
				const atype = v.getUint16(a + 2, true);
				if (alen < 4) break;
				if (alen >= 8 && (atype === IFA_LOCAL || (atype === IFA_ADDRESS && address === null))) address = [...buf.subarray(a + 4, a + 8)].join('.');
				a += (alen + 3) & ~3;
			}
			if (address !== null) out.push({ added: type === RTM_NEWADDR, address });
		}
		o += (len + 3) & ~3;
	}
	return out;
}
