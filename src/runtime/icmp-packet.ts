// ICMP echo packets for the uplink probes (issue 14), pure: the runtime sends and reads them on a
// raw socket. A request's checksum is left at 0 for the runtime to fill (PosixSocket.checksum).

const ECHO_REQUEST = 8;
const ECHO_REPLY = 0;

/** An echo request (RFC 792): type, code, checksum (0 here), identifier, sequence, then `size` payload bytes. */
export function echoRequest(id: number, seq: number, size: number): Uint8Array {
	const p = new Uint8Array(8 + size);
	const dv = new DataView(p.buffer);
	p[0] = ECHO_REQUEST;
	dv.setUint16(4, id & 0xffff);
	dv.setUint16(6, seq & 0xffff);
	// A recognisable payload, like ping's counting bytes.
	for (let i = 8; i < p.length; i++) p[i] = i & 0xff;
	return p;
}

export interface EchoReply {
	/** The replying host: the IP header's source address. */
	readonly from: string;
	readonly id: number;
	readonly seq: number;
}

/** An echo reply as a raw IPv4 socket reads it (with its IP header), or null for anything else. */
export function parseEchoReply(datagram: Uint8Array): EchoReply | null {
	if (datagram.length < 20 || datagram[0]! >> 4 !== 4) return null;
	const ihl = (datagram[0]! & 0x0f) * 4;
	if (ihl < 20 || datagram[9] !== 1 /* ICMP */ || datagram.length < ihl + 8) return null;
	if (datagram[ihl] !== ECHO_REPLY || datagram[ihl + 1] !== 0) return null;
	const dv = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
	return { from: datagram.subarray(12, 16).join('.'), id: dv.getUint16(ihl + 4), seq: dv.getUint16(ihl + 6) };
}
