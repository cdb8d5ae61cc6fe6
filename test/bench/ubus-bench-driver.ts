// Runs under tjs: N sequential ubus calls over one connection, then N spawns of `true`.
// Arguments: socket path, N.
import { tjsRuntime as rt } from '../../src/runtime/tjs.ts';
import { connectUbus } from '../../src/system/ubus/index.ts';

const sock = rt.args[0]!;
const n = Number(rt.args[1] ?? 1000);
const u = await connectUbus(rt, sock, { transport: 'socket' });
await u.call('rt.echo', 'echo', { warm: 1 });
let t0 = rt.now();
for (let i = 0; i < n; i++) await u.call('network.interface.wan', 'status', {});
const callMs = rt.now() - t0;
t0 = rt.now();
for (let i = 0; i < n; i++) await u.call('rt.echo', 'echo', {});
const emptyMs = rt.now() - t0;
u.close();
t0 = rt.now();
for (let i = 0; i < n; i++) await rt.spawn(['true']);
const spawnMs = rt.now() - t0;
await rt.stdout(`${JSON.stringify({ n, callMs: Math.round(callMs), emptyMs: Math.round(emptyMs), spawnMs: Math.round(spawnMs) })}\n`);
