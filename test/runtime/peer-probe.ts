// Exercises the peer-link part of the tjs Runtime seam on the real binary, inside a network
// namespace of its own: UDP datagrams, rtnetlink address events, a raw Ethernet frame.
// Prints one JSON object of results. Bundled and run by peer-seam.test.ts.
import { parseAddressEvents, IPV4_ADDRESS_GROUP } from '../../src/peer/addr-events.ts';
import { garpFrame } from '../../src/peer/garp.ts';
import { tjsRuntime as rt } from '../../src/runtime/tjs.ts';
import { decodeUtf8, encodeUtf8 } from '../../src/util/utf8.ts';

const out: Record<string, unknown> = {};
await rt.spawn(['ip', 'link', 'set', 'lo', 'up']);

// UDP: two sockets on loopback, a datagram each way, the sender's address seen; receive after close is null.
const a = await rt.bindUdp('127.0.0.1', 4853);
const b = await rt.bindUdp('127.0.0.1', 0);
const got = a.receive();
await b.send(encodeUtf8('ping'), '127.0.0.1', 4853);
const d = await got;
out.udp = { text: d && decodeUtf8(d.data), from: d?.address, port: typeof d?.port };
await a.send(encodeUtf8('pong'), d!.address, d!.port);
const back = await b.receive();
out.udpBack = back && decodeUtf8(back.data);
const pending = a.receive();
a.close();
out.afterClose = await pending;
out.receiveClosed = await a.receive();
out.sendClosed = await a.send(encodeUtf8('x'), '127.0.0.1', 1).then(() => 'sent', (e: Error & { code?: string }) => e.code);
b.close();
// The same port bound again by a new object (the agent rebinds after a config change).
const again = await rt.bindUdp('127.0.0.1', 4853);
again.close();
out.rebound = true;

// rtnetlink: an address added and removed shows up as events.
const events: { added: boolean; address: string }[] = [];
const stop = rt.watchNetlink(IPV4_ADDRESS_GROUP, (data) => events.push(...parseAddressEvents(data)));
await rt.spawn(['ip', 'addr', 'add', '10.77.0.1/32', 'dev', 'lo']);
await rt.spawn(['ip', 'addr', 'del', '10.77.0.1/32', 'dev', 'lo']);
for (let i = 0; i < 50 && events.length < 2; i++) await rt.sleep(10);
stop();
stop();
out.events = events.filter((e) => e.address === '10.77.0.1');

// A raw frame: sent on lo; a missing device is refused with ENODEV.
await rt.sendFrame('lo', garpFrame('02:00:00:00:00:01', '10.77.0.1'));
out.frameSent = true;
out.noDevice = await rt.sendFrame('nosuchdev0', garpFrame('02:00:00:00:00:01', '10.77.0.1')).then(() => 'sent', (e: Error & { code?: string }) => e.code);

await rt.stdout(`${JSON.stringify(out)}\n`);
