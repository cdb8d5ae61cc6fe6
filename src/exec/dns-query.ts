// The DNS probe's packets (issue 14), pure: a query any resolver answers, and the id of an answer.

/** A query for the root's NS records (`. IN NS`), recursion desired: tiny, and answerable by any resolver. */
export function dnsQuery(id: number): Uint8Array {
	const q = new Uint8Array(17);
	const dv = new DataView(q.buffer);
	dv.setUint16(0, id & 0xffff);
	dv.setUint16(2, 0x0100); // standard query, RD
	dv.setUint16(4, 1); // one question
	// q[12] = 0: the root name
	dv.setUint16(13, 2); // NS
	dv.setUint16(15, 1); // IN
	return q;
}

/** The id of a DNS response (QR set), whatever its rcode, or null if this is not one. */
export function dnsResponseId(data: Uint8Array): number | null {
	if (data.length < 12 || (data[2]! & 0x80) === 0) return null;
	return (data[0]! << 8) | data[1]!;
}
