// Asks the peer's agent for its state over the peer link: one query datagram, one reply, retried.
import type { Runtime } from '../runtime/runtime.ts';
import { PEER_PORT, decodeMessage, encodeMessage, type PeerState, type PeerView } from './protocol.ts';

let counter = 0;

/** The peer's state, or null when it did not answer within timeoutMs (asks every 250 ms). */
export async function queryPeer(rt: Runtime, link: { local: string; peer: string }, timeoutMs: number, full = true): Promise<PeerState | null> {
	const id = `${rt.pid}.${++counter}.${Math.floor(rt.now())}`;
	// Bound to our peer-link address: the peer's agent answers only that source.
	const sock = await rt.bindUdp(link.local, 0);
	let done = false;
	try {
		const question = encodeMessage({ t: 'q', id, full });
		const ask = async () => {
			for (let t = 0; !done && t < timeoutMs; t += 250) {
				await sock.send(question, link.peer, PEER_PORT).catch(() => undefined);
				await rt.sleep(250);
			}
		};
		const listen = async (): Promise<PeerState | null> => {
			for (;;) {
				const d = await sock.receive();
				if (d === null) return null;
				const m = decodeMessage(d.data);
				if (d.address === link.peer && m?.t === 'r' && m.id === id) return m.state;
			}
		};
		void ask();
		const deadline = rt.sleep(timeoutMs).then(() => null);
		return await Promise.race([listen(), deadline]);
	} finally {
		done = true;
		sock.close();
	}
}

/** What this node's own agent last heard from the peer, or null when the agent does not answer. */
export async function askLocalAgent(rt: Runtime, link: { local: string }, timeoutMs: number): Promise<PeerView | null> {
	const id = `${rt.pid}.${++counter}.${Math.floor(rt.now())}`;
	const sock = await rt.bindUdp(link.local, 0);
	try {
		await sock.send(encodeMessage({ t: 'pq', id }), link.local, PEER_PORT).catch(() => undefined);
		const listen = async (): Promise<PeerView | null> => {
			for (;;) {
				const d = await sock.receive();
				if (d === null) return null;
				const m = decodeMessage(d.data);
				if (d.address === link.local && m?.t === 'pv' && m.id === id) return m;
			}
		};
		return await Promise.race([listen(), rt.sleep(timeoutMs).then(() => null)]);
	} finally {
		sock.close();
	}
}
