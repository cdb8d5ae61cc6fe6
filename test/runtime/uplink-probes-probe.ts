// Exercises the uplink probes (src/exec/uplink-probes.ts) and the ICMP socket of the tjs Runtime on
// the real binary, in the client namespace uplink-probes.test.ts builds: this side has 10.201.0.1
// and 10.201.0.3, the far side 10.201.0.2 (dnsmasq) and 10.201.0.4, and drops everything sent to
// 10.201.0.5. Prints one JSON object of results.
import { ProbeSockets, probeTarget } from '../../src/exec/uplink-probes.ts';
import { tjsRuntime as rt } from '../../src/runtime/tjs.ts';

const out: Record<string, unknown> = {};
const code = (p: Promise<unknown>) => p.then((v) => ({ value: v }), (e: Error & { code?: string }) => ({ error: e.code ?? e.message }));
const elapsed = async <T>(p: Promise<T>) => {
	const t0 = rt.now();
	const value = await p;
	return { value, ms: Math.round(rt.now() - t0) };
};

// Loopback, then the far side, then a large payload.
const lo = rt.openIcmp('127.0.0.1');
out.loopback = await lo.echo('127.0.0.1', 56, 1000);
lo.close(); // right after an answer: no "close during poll callback" error
const s = rt.openIcmp('10.201.0.1');
out.near = await s.echo('10.201.0.2', 56, 1000);
out.large = await s.echo('10.201.0.4', 1400, 1000);
// Concurrent echoes on one socket, to three targets at once (one dropped): each gets its own answer.
out.concurrent = await Promise.all([s.echo('10.201.0.4', 56, 500), s.echo('10.201.0.2', 56, 500), s.echo('10.201.0.5', 56, 500), s.echo('10.201.0.2', 8, 500)]);
// A dropped echo is lost within its timeout.
out.lost = await elapsed(s.echo('10.201.0.5', 56, 300));
// Pending at close: null; after close: EBADF.
const pending = s.echo('10.201.0.5', 56, 5000);
s.close();
out.closed = { pending: await pending, after: await code(s.echo('10.201.0.2', 56, 100)) };

// Two sockets, two sources, one target at once: each reply reaches the socket of its own source.
const a = rt.openIcmp('10.201.0.1');
const b = rt.openIcmp('10.201.0.3');
out.twoSources = await Promise.all([a.echo('10.201.0.2', 56, 1000), b.echo('10.201.0.2', 56, 1000)]);
a.close();
// The source address vanishes under an open socket: lost, never thrown; back again: answered.
await rt.spawn(['ip', 'addr', 'del', '10.201.0.3/24', 'dev', 'veth0']);
out.vanished = await code(b.echo('10.201.0.2', 56, 300));
await rt.spawn(['ip', 'addr', 'add', '10.201.0.3/24', 'dev', 'veth0']);
await rt.sleep(50);
out.back = await b.echo('10.201.0.2', 56, 1000);
b.close();
out.notOurs = await code(Promise.resolve().then(() => rt.openIcmp('10.201.0.9')));

// probeTarget: the three methods, through one ProbeSockets that follows the source address.
const sockets = new ProbeSockets();
const opts = { size: 56, port: 53, timeoutMs: 400 };
out.icmp = {
	near: await probeTarget(rt, 'icmp', '10.201.0.1', '10.201.0.2', opts, sockets),
	otherSource: await probeTarget(rt, 'icmp', '10.201.0.3', '10.201.0.2', opts, sockets),
	dropped: await elapsed(probeTarget(rt, 'icmp', '10.201.0.1', '10.201.0.5', opts, sockets)),
	notOurs: await code(probeTarget(rt, 'icmp', '10.201.0.9', '10.201.0.2', opts, sockets)),
};
sockets.close();
out.tcp = {
	open: await probeTarget(rt, 'tcp', '10.201.0.3', '10.201.0.2', opts, sockets),
	closedPort: await probeTarget(rt, 'tcp', '10.201.0.3', '10.201.0.2', { ...opts, port: 1 }, sockets),
	dropped: await elapsed(probeTarget(rt, 'tcp', '10.201.0.3', '10.201.0.5', opts, sockets)),
	notOurs: await code(probeTarget(rt, 'tcp', '10.201.0.9', '10.201.0.2', opts, sockets)),
};
// A dead path probed often must not pile up connects the kernel retries for two minutes.
const fds = async () => (await rt.readDir('/proc/self/fd')).length;
const before = await fds();
await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(() => probeTarget(rt, 'tcp', '10.201.0.1', '10.201.0.5', { ...opts, timeoutMs: 100 }, sockets)));
await rt.sleep(10);
out.tcpFdsLeft = (await fds()) - before;
out.dns = {
	answered: await probeTarget(rt, 'dns', '10.201.0.3', '10.201.0.2', opts, sockets),
	silent: await elapsed(probeTarget(rt, 'dns', '10.201.0.3', '10.201.0.5', opts, sockets)),
	noServer: await probeTarget(rt, 'dns', '10.201.0.3', '10.201.0.4', opts, sockets),
	notOurs: await code(probeTarget(rt, 'dns', '10.201.0.9', '10.201.0.2', opts, sockets)),
};
await rt.stdout(`${JSON.stringify(out)}\n`);
rt.exit(0);
