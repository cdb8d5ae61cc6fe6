// Gratuitous ARP, sent by the agent when a split brain ends on the side that stayed MASTER: the
// node that stepped down had announced the VIPs (and the WAN lease) with its own GARPs, so hosts
// and the ISP's switch would otherwise keep sending to it until keepalived's next refresh (2 s).
import type { Runtime } from '../runtime/runtime.ts';
import { decodeUtf8 } from '../util/utf8.ts';

function bytes(text: string, sep: string, base: number): number[] {
	return text.split(sep).map((p) => Number.parseInt(p, base));
}

/** An Ethernet broadcast ARP request for `address` from itself (RFC 5227 announcement), pure. */
export function garpFrame(mac: string, address: string): Uint8Array {
	const hw = bytes(mac, ':', 16);
	const ip = bytes(address, '.', 10);
	if (hw.length !== 6 || ip.length !== 4 || [...hw, ...ip].some((b) => !(b >= 0 && b <= 255))) throw new Error(`no ARP frame for ${mac} ${address}`);
	const f = new Uint8Array(42);
	f.fill(0xff, 0, 6); // broadcast
	f.set(hw, 6);
	f.set([0x08, 0x06], 12); // ARP
	f.set([0, 1, 0x08, 0x00, 6, 4, 0, 1], 14); // Ethernet, IPv4, request
	f.set(hw, 22);
	f.set(ip, 28);
	f.set(ip, 38); // target = sender: a gratuitous request
	return f;
}

/** Announces each IPv4 address on its device; a device that is gone or refuses is skipped. */
export async function announce(rt: Runtime, items: readonly { device: string; address: string }[]): Promise<number> {
	let sent = 0;
	for (const { device, address } of items) {
		if (address.includes(':')) continue;
		const raw = await rt.readFile(`/sys/class/net/${device}/address`).catch(() => null);
		if (!raw) continue;
		try {
			await rt.sendFrame(device, garpFrame(decodeUtf8(raw).trim(), address));
			sent++;
		} catch {
			// Best effort: keepalived's own refresh follows within 2 s.
		}
	}
	return sent;
}
