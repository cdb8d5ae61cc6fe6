// The master's WAN lease, carried to the standby by conntrackd itself: one marked UDP conntrack
// entry (WAN address -> gateway, source port 4852, the prefix length in the destination port)
// that the sync replicates like any connection. A node taking over for the first time (no
// lease.json of its own) reads it and puts the address and route up before DHCP answers.
import type { Runtime } from '../runtime/runtime.ts';
import type { KnownLease } from '../system/platform.ts';
import { run } from '../system/run.ts';

const PORT = '4852';
const MARK = '0x48520000';
/** The destination port holds the prefix length; this is added when no gateway is known. */
const NO_GATEWAY = 1000;
const DEFAULT_TIMEOUT_S = 86_400;

/** conntrack arguments that insert the beacon (pure). */
export function beaconInsertArgs(lease: KnownLease): string[] {
	const dport = lease.address.prefix + (lease.gateway ? 0 : NO_GATEWAY);
	const timeout = String(Math.min(lease.leaseTime ?? DEFAULT_TIMEOUT_S, 4_000_000));
	return ['-I', '-p', 'udp', '-s', lease.address.address, '-d', lease.gateway ?? lease.address.address, '--sport', PORT, '--dport', String(dport), '--timeout', timeout, '--mark', MARK];
}

/** The lease from `conntrack -L` output lines (pure); the first well-formed beacon wins. */
export function parseBeacon(text: string, now: number): KnownLease | null {
	for (const line of text.split('\n')) {
		const m = /\bsrc=(\d{1,3}(?:\.\d{1,3}){3}) dst=(\d{1,3}(?:\.\d{1,3}){3}) sport=4852 dport=(\d+)/.exec(line);
		if (!m || !line.includes(`mark=${Number(MARK)}`)) continue;
		const port = Number(m[3]);
		const prefix = port % NO_GATEWAY;
		if (prefix < 1 || prefix > 32 || port > NO_GATEWAY + 32) continue;
		return { address: { address: m[1]!, prefix, family: 4 }, gateway: port >= NO_GATEWAY ? null : m[2]!, since: now, leaseTime: null };
	}
	return null;
}

const SELECT = ['-p', 'udp', '--orig-port-src', PORT, '--mark', MARK];

/** Replaces the beacon with this lease (delete then insert; both replicate to the peer). */
export async function publishLeaseBeacon(rt: Runtime, lease: KnownLease): Promise<void> {
	if (lease.address.family !== 4) return;
	// conntrack -D exits 1 when there was nothing to delete.
	await run(rt, ['conntrack', '-D', ...SELECT], { okCodes: [0, 1], timeoutMs: 5000 });
	await run(rt, ['conntrack', ...beaconInsertArgs(lease)], { timeoutMs: 5000 });
}

export async function readLeaseBeacon(rt: Runtime): Promise<KnownLease | null> {
	const r = await run(rt, ['conntrack', '-L', ...SELECT], { okCodes: [0, 1], timeoutMs: 5000 });
	return parseBeacon(r.stdout, rt.wallClock());
}
