// One health probe of an uplink (issue 14), in process: no `ping` spawned per target and round.
// Every probe leaves from the uplink's own address, so our output chain (map uplink_local) routes it
// by the uplink's table. ICMP echo by default; a TCP connect or a DNS query where ICMP is filtered.
import { dnsQuery, dnsResponseId } from './dns-query.ts';
import type { IcmpSocket, Runtime } from '../runtime/runtime.ts';
import { withTimeout } from '../util/with-timeout.ts';

export type ProbeMethod = 'icmp' | 'tcp' | 'dns';

export interface ProbeOptions {
	/** ICMP payload bytes (icmp only). */
	readonly size: number;
	/** The TCP port to connect to (tcp), or the DNS server's port (dns, normally 53). */
	readonly port: number;
	/** No answer within this long: lost. */
	readonly timeoutMs: number;
}

/**
 * The socket one uplink's ICMP probes share, for its current source address: opened at the first
 * probe, replaced when the address changes. The monitor keeps one per uplink and closes it when the
 * uplink goes away.
 */
export class ProbeSockets {
	private icmp: { source: string; socket: IcmpSocket } | null = null;

	icmpFrom(rt: Runtime, source: string): IcmpSocket {
		if (this.icmp?.source === source) return this.icmp.socket;
		this.close();
		this.icmp = { source, socket: rt.openIcmp(source) };
		return this.icmp.socket;
	}

	/** Pending echoes resolve to null. The object may be used again: the next probe opens a new socket. */
	close(): void {
		this.icmp?.socket.close();
		this.icmp = null;
	}
}

const notOurs = (e: unknown) => (e as { code?: string } | null)?.code === 'EADDRNOTAVAIL';
const ms = (t: number) => Math.round(t * 1000) / 1000;

/**
 * One probe of `target` from the local address `source`: the round trip in ms, or null when lost (no
 * answer within opts.timeoutMs, or `source` is no longer ours). Throws only when probing itself is
 * impossible (no raw socket without root).
 */
export async function probeTarget(rt: Runtime, method: ProbeMethod, source: string, target: string, opts: ProbeOptions, sockets: ProbeSockets): Promise<number | null> {
	switch (method) {
		case 'icmp': {
			let socket: IcmpSocket;
			try {
				socket = sockets.icmpFrom(rt, source);
			} catch (e) {
				if (notOurs(e)) return null;
				throw e;
			}
			return socket.echo(target, opts.size, opts.timeoutMs);
		}
		case 'tcp': {
			// Only an open connection counts: a refusal may come from any firewall on the way.
			const t0 = rt.now();
			return (await rt.probeTcp(target, opts.port, opts.timeoutMs, source)) ? ms(rt.now() - t0) : null;
		}
		case 'dns':
			return probeDns(rt, source, target, opts);
	}
}

/** Any response with our id counts, whatever its rcode: it came back over the uplink. */
async function probeDns(rt: Runtime, source: string, target: string, opts: ProbeOptions): Promise<number | null> {
	let udp;
	try {
		udp = await rt.bindUdp(source, 0);
	} catch (e) {
		if (notOurs(e)) return null;
		throw e;
	}
	try {
		const id = Math.floor(Math.random() * 0x10000);
		const t0 = rt.now();
		await udp.send(dnsQuery(id), target, opts.port);
		const answer = (async () => {
			for (;;) {
				const m = await udp.receive();
				if (!m) return null; // closed at the timeout
				if (m.address === target && m.port === opts.port && dnsResponseId(m.data) === id) return ms(rt.now() - t0);
			}
		})();
		return await withTimeout(answer, opts.timeoutMs, 'lost').catch(() => null);
	} catch {
		return null; // the send failed: no route from this address
	} finally {
		udp.close();
	}
}
