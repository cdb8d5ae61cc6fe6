// One-shot exchanges with an agent over the peer link: the peer's agent (its state) or this
// node's own (what it last heard from the peer, or a poke). Each binds a fresh socket on our
// peer-link address (the agents answer only their peer's and their own address) and closes it.
import type { Runtime } from '../runtime/runtime.ts';
import { PEER_PORT, decodeMessage, encodeMessage, type PeerLink, type PeerMessage, type PeerState, type PeerView } from './protocol.ts';

let counter = 0;
const nextId = (rt: Runtime) => `${rt.pid}.${++counter}.${Math.floor(rt.now())}`;

/**
 * Sends `question` from link.local to `to` (again every `resendMs` while no answer came), and
 * resolves to the first reply from `to` that `pick` accepts, or null after timeoutMs.
 */
async function exchange<T>(rt: Runtime, local: string, to: string, question: PeerMessage, pick: (m: PeerMessage) => T | null, timeoutMs: number, resendMs: number): Promise<T | null> {
	const sock = await rt.bindUdp(local, 0);
	let done = false;
	try {
		const data = encodeMessage(question);
		const ask = async () => {
			for (let t = 0; !done && t < timeoutMs; t += resendMs) {
				await sock.send(data, to, PEER_PORT).catch(() => undefined);
				await rt.sleep(resendMs);
			}
		};
		const listen = async (): Promise<T | null> => {
			for (;;) {
				const d = await sock.receive();
				if (d === null) return null;
				const m = d.address === to ? decodeMessage(d.data) : null;
				const answer = m && pick(m);
				if (answer) return answer;
			}
		};
		void ask();
		return await Promise.race([listen(), rt.sleep(timeoutMs).then(() => null)]);
	} finally {
		done = true;
		sock.close();
	}
}

/** The peer's state, or null when it did not answer within timeoutMs (asks every 250 ms). */
export function queryPeer(rt: Runtime, link: { local: string; peer: string }, timeoutMs: number, full = true): Promise<PeerState | null> {
	const id = nextId(rt);
	return exchange(rt, link.local, link.peer, { t: 'q', id, full }, (m) => (m.t === 'r' && m.id === id ? m.state : null), timeoutMs, 250);
}

/** What this node's own agent last heard from the peer, or null when the agent does not answer (asked once). */
export function askLocalAgent(rt: Runtime, link: { local: string }, timeoutMs: number): Promise<PeerView | null> {
	const id = nextId(rt);
	return exchange(rt, link.local, link.local, { t: 'pq', id }, (m) => (m.t === 'pv' && m.id === id ? m : null), timeoutMs, timeoutMs);
}

/** Tells this node's agent that keepalived just announced a state (best effort, never waits). */
export async function pokeAgent(rt: Runtime, link: PeerLink): Promise<void> {
	try {
		const s = await rt.bindUdp(link.local, 0);
		try {
			await s.send(encodeMessage({ t: 'poke' }), link.local, PEER_PORT);
		} finally {
			s.close();
		}
	} catch {
		// No agent, or the address is gone: the agent's own tick sees the role within a heartbeat.
	}
}
