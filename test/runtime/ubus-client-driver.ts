// Runs the ubus client on real tjs against the Node test server in test/runtime/ubus-client.test.ts
// and prints what happened as JSON. Argument: the server's socket path.
import { tjsRuntime as rt } from '../../src/runtime/tjs.ts';
import { connectUbus, UbusError } from '../../src/system/ubus/index.ts';
import { openUbusSocket } from '../../src/system/ubus/socket-client.ts';

const sock = rt.args[0]!;
const out: Record<string, unknown> = {};
const status = (p: Promise<unknown>) =>
	p.then(
		(v) => ({ ok: v }),
		(e: unknown) => ({ err: e instanceof UbusError ? e.status : String(e) }),
	);

const u = await connectUbus(rt, sock, { transport: 'socket', timeoutMs: 3000 });
out.transport = u.transport;
out.echo = await status(u.call('rt.echo', 'echo', { a: 1, s: 'ünï', big: 5000000000, d: 1.5, n: null, b: true, l: ['x', 7], t: { k: 'v' } }));
out.noArgs = await status(u.call('rt.echo', 'echo'));
out.two = await status(u.call('rt.echo', 'two'));
out.denied = await status(u.call('rt.echo', 'fail'));
out.missing = await status(u.call('no.such.object', 'status'));
const order: string[] = [];
await Promise.all([
	u.call('rt.echo', 'slow', { ms: 200 }).then(() => order.push('slow')),
	u.call('rt.echo', 'echo', {}).then(() => order.push('fast')),
]);
out.order = order;
let t0 = rt.now();
out.timeout = await status(u.call('rt.echo', 'silent', {}, { timeoutMs: 200 }));
out.timeoutMs = Math.round(rt.now() - t0);
out.badData = await status(u.call('rt.echo', 'baddata'));
out.afterBadData = await status(u.call('rt.echo', 'echo', { still: 'ok' }));
const big = 'é'.repeat(100_000);
t0 = rt.now();
const r = await u.call('rt.echo', 'echo', { s: big });
out.bigOk = r.s === big;
out.bigMs = Math.round(rt.now() - t0);
u.close();
out.afterClose = await status(u.call('rt.echo', 'echo'));
// A reconnect is a new client on a new socket object (tjs 24.12 cannot reconnect a closed one).
const again = await connectUbus(rt, sock, { transport: 'socket', timeoutMs: 3000 });
out.reconnected = { newObject: again !== u, echo: await status(again.call('rt.echo', 'echo', { again: 1 })) };
again.close();

const g = await connectUbus(rt, sock, { transport: 'socket', timeoutMs: 3000 });
out.garbage = await status(g.call('rt.echo', 'garbage'));
g.close();
const h = await connectUbus(rt, sock, { transport: 'socket', timeoutMs: 3000 });
out.half = await status(h.call('rt.echo', 'half'));
h.close();
out.noSocket = await status(connectUbus(rt, `${sock}.missing`, { transport: 'socket' }));
// The server stops greeting after this call (see the test): connect must give up on its own.
const m = await connectUbus(rt, sock, { transport: 'socket' });
await m.call('rt.echo', 'muteHello');
m.close();
t0 = rt.now();
out.noHello = await status(openUbusSocket(rt, sock, { helloTimeoutMs: 300 }));
out.noHelloMs = Math.round(rt.now() - t0);

await rt.stdout(`${JSON.stringify(out)}\n`);
// No exit(): the process must end by itself, with no timer or socket left behind.
