// The peer-link datagrams: what one agent encodes the other decodes unchanged, and anything else
// on UDP 4853 (garbage, another version, a field of the wrong type) is dropped as null.
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, peerLink, type Heartbeat, type PeerMessage, type PeerState, type Reply } from '../../../src/peer/protocol.ts';
import { encodeUtf8 } from '../../../src/util/utf8.ts';
import { group, model, sync } from '../render/models.ts';

const HB: Heartbeat = { t: 'hb', node: 'router-a', seq: 42, role: 'MASTER', settled: true, priority: 150, address: '10.255.0.1', demoted: null };

const STATE: PeerState = {
	node: 'router-b',
	role: 'BACKUP',
	settled: true,
	priority: 100,
	nopreempt: false,
	preemptDelay: 0,
	demoted: null,
	keepalived: true,
	conntrackd: true,
	conntrack: { kernel: 1200, internal: null, external: 1180 },
	lease: '198.51.100.7/24 via 198.51.100.1',
	wanHeld: false,
	splitBrains: 2,
};

/** A datagram of our version with these fields (what encodeMessage would send). */
const raw = (fields: Record<string, unknown>) => encodeUtf8(JSON.stringify({ ha: 1, ...fields }));

describe('encodeMessage / decodeMessage', () => {
	it.each<[string, PeerMessage]>([
		['a heartbeat', HB],
		['a heartbeat without a role yet, demoted by a switchover', { ...HB, role: null, priority: 1, demoted: 'switchover' }],
		['a heartbeat in FAULT for a split brain', { ...HB, role: 'FAULT', priority: 0, demoted: 'split-brain' }],
		['a heartbeat with an IPv6 address', { ...HB, address: 'fd00:ff::1' }],
		['a full query', { t: 'q', id: '123.1.456', full: true }],
		['a file-only query', { t: 'q', id: '123.2.456', full: false }],
		['a reply', { t: 'r', id: '123.1.456', state: STATE }],
		['a poke', { t: 'poke' }],
		['a question to our own agent', { t: 'pq', id: '9.1.0' }],
		['its answer with the peer heard 120 ms ago', { t: 'pv', id: '9.1.0', hb: HB, ageMs: 120 }],
		['its answer when the peer was never heard', { t: 'pv', id: '9.1.0', hb: null, ageMs: null }],
		['a heartbeat with its uplinks\' verdicts', { ...HB, links: { isp1: 'alive', isp2: 'dead', isp3: 'degraded' } }],
	])('%s comes back as it was sent', (_, m) => {
		expect(decodeMessage(encodeMessage(m))).toEqual(m);
	});

	it('carries the protocol version', () => {
		expect(JSON.parse(new TextDecoder().decode(encodeMessage(HB)))).toMatchObject({ ha: 1, t: 'hb' });
	});

	it('a query without `full` asks for file reads only', () => {
		expect(decodeMessage(raw({ t: 'q', id: 'x' }))).toEqual({ t: 'q', id: 'x', full: false });
		expect(decodeMessage(raw({ t: 'q', id: 'x', full: 'yes' }))).toEqual({ t: 'q', id: 'x', full: false });
	});

	it.each<[string, Uint8Array]>([
		['empty', new Uint8Array()],
		['not JSON', encodeUtf8('hello peer')],
		['not UTF-8', new Uint8Array([0xff, 0xfe, 0x7b, 0x7d])],
		['JSON null', encodeUtf8('null')],
		['a JSON number', encodeUtf8('1')],
		['a JSON array', encodeUtf8('[1,"hb"]')],
		['no version', encodeUtf8(JSON.stringify({ ...HB }))],
		['another version', raw({ ...HB, ha: 2 })],
		['the version as a string', raw({ ...HB, ha: '1' })],
		['an unknown type', raw({ t: 'hello' })],
		['no type', raw({ node: 'router-a' })],
	])('drops a datagram that is %s', (_, data) => {
		expect(decodeMessage(data)).toBeNull();
	});

	it.each<[string, Record<string, unknown>]>([
		['node a number', { node: 7 }],
		['node missing', { node: undefined }],
		['seq a string', { seq: '42' }],
		['role unknown', { role: 'PRIMARY' }],
		['role lower case', { role: 'master' }],
		['priority a string', { priority: '150' }],
		['address missing', { address: undefined }],
		['demoted an unknown reason', { demoted: 'maintenance' }],
		['demoted true', { demoted: true }],
		['demoted missing', { demoted: undefined }],
		['settled missing', { settled: undefined }],
		['settled a string', { settled: 'yes' }],
		['links a list', { links: ['isp1'] }],
		['links null', { links: null }],
		['a link in an unknown state', { links: { isp1: 'up' } }],
	])('drops a heartbeat with %s', (_, change) => {
		expect(decodeMessage(raw({ ...HB }))).not.toBeNull();
		expect(decodeMessage(raw({ ...HB, ...change }))).toBeNull();
	});

	it.each<[string, Record<string, unknown>]>([
		['a query without an id', { t: 'q', full: true }],
		['a query with a numeric id', { t: 'q', id: 1, full: true }],
		['a reply without an id', { t: 'r', state: STATE }],
		['a reply without a state', { t: 'r', id: 'x' }],
		['a reply whose state is null', { t: 'r', id: 'x', state: null }],
		['a reply whose state has no node', { t: 'r', id: 'x', state: { ...STATE, node: undefined } }],
		['a reply whose state has an unknown role', { t: 'r', id: 'x', state: { ...STATE, role: 'PRIMARY' } }],
		['a reply whose state has no conntrack counts', { t: 'r', id: 'x', state: { ...STATE, conntrack: null } }],
		['a peer view with a malformed heartbeat', { t: 'pv', id: 'x', hb: { ...HB, role: 'PRIMARY' }, ageMs: 5 }],
		['a peer view whose age is a string', { t: 'pv', id: 'x', hb: HB, ageMs: '5' }],
		['a peer view without an id', { t: 'pv', hb: null, ageMs: null }],
	])('drops %s', (_, fields) => {
		expect(decodeMessage(raw(fields))).toBeNull();
	});

	it('a reply keeps the whole state', () => {
		const r = decodeMessage(raw({ t: 'r', id: 'x', state: STATE })) as Reply;
		expect(r.state).toEqual(STATE);
	});
});

describe('peerLink', () => {
	it('is the sync link when it has a unicast peer', () => {
		expect(peerLink(model())).toEqual({ local: '10.255.0.1', peer: '10.255.0.2', device: 'eth2' });
		const v6 = model({ sync: sync({ localAddress: 'fd00:ff::1', peerAddress: 'fd00:ff::2' }) });
		expect(peerLink(v6)).toEqual({ local: 'fd00:ff::1', peer: 'fd00:ff::2', device: 'eth2' });
	});

	it('else the first unicast VRRP peer of the instance address family', () => {
		const multicastSync = sync({ transport: 'multicast', peerAddress: null });
		expect(peerLink(model({ sync: multicastSync }))).toEqual({ local: '192.168.1.2', peer: '192.168.1.3', device: 'br-lan' });
		expect(peerLink(model({ sync: null }))).toEqual({ local: '192.168.1.2', peer: '192.168.1.3', device: 'br-lan' });
		// An IPv6 instance: its IPv4 peer is skipped.
		const v6 = group({ name: 'lan6', address: { address: 'fd00:1::2', prefix: 64, family: 6 }, unicastPeers: ['192.168.1.3', 'fd00:1::3', 'fd00:1::4'] });
		expect(peerLink(model({ sync: null, groups: [v6] }))).toEqual({ local: 'fd00:1::2', peer: 'fd00:1::3', device: 'br-lan' });
		// The first instance has no peer of its family (multicast): the next one is used.
		const first = group({ unicastPeers: [] });
		const second = group({ name: 'guest', device: 'br-guest', address: { address: '192.168.2.2', prefix: 24, family: 4 }, unicastPeers: ['fd00:2::3', '192.168.2.3'] });
		expect(peerLink(model({ sync: null, groups: [first, second] }))).toEqual({ local: '192.168.2.2', peer: '192.168.2.3', device: 'br-guest' });
	});

	it('is null without a unicast peer anywhere', () => {
		expect(peerLink(model({ sync: null, groups: [] }))).toBeNull();
		expect(peerLink(model({ sync: sync({ transport: 'multicast', peerAddress: null }), groups: [group({ unicastPeers: [] })] }))).toBeNull();
		const v4PeerOnly = group({ address: { address: 'fd00:1::2', prefix: 64, family: 6 }, unicastPeers: ['192.168.1.3'] });
		expect(peerLink(model({ sync: null, groups: [v4PeerOnly] }))).toBeNull();
	});
});
