// New short connections at a steady rate, for timing an uplink's death and return: one connection every
// `intervalMs`, each on its own (a connection that hangs does not hold back the next), to a `whoami.mjs serve`
// server, which answers with the source address it saw (so each connection tells which uplink carried it).
//   node conn-probe.mjs <host> <port> <intervalMs> <timeoutMs>
// Prints READY once the first connection has been answered; on "stop" (stdin) or stdin's end it opens no more, waits
// for the pending ones (each bounded by timeoutMs) and prints one JSON line: an array of
// { t: start (epoch ms), ms: duration, a: the answer (address) or null, e: the error code or null, p: the local port }.
import net from 'node:net';

const [host, port, intervalMs, timeoutMs] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4] ?? 20), Number(process.argv[5] ?? 2500)];
const now = () => performance.timeOrigin + performance.now();
const done = [];
let pending = 0;
let ready = false;
let stopping = false;

function once() {
	const t = now();
	pending++;
	let got = '';
	let err = null;
	let p = null;
	const s = net.connect({ host, port });
	// The kernel picks the port at connect(), which net.connect issues on the next tick: read it then (a connection
	// that fails has no handle left to ask afterwards).
	setImmediate(() => (p ??= s.localPort ?? null));
	s.on('connect', () => (p ??= s.localPort ?? null));
	const timer = setTimeout(() => s.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })), timeoutMs);
	s.on('data', (d) => (got += d.toString()));
	s.on('error', (e) => (err ??= e.code ?? e.message));
	s.on('close', () => {
		clearTimeout(timer);
		const a = got.trim() || null;
		done.push({ t, ms: Math.round(now() - t), a, e: a ? null : (err ?? 'closed'), p: p ?? s.localPort ?? null });
		pending--;
		if (a && !ready) {
			ready = true;
			process.stdout.write('READY\n');
		}
	});
}

const tick = setInterval(() => {
	if (!stopping) once();
}, intervalMs);
once();

async function stop() {
	if (stopping) return;
	stopping = true;
	clearInterval(tick);
	const end = now() + timeoutMs + 1000;
	while (pending > 0 && now() < end) await new Promise((r) => setTimeout(r, 20));
	done.sort((x, y) => x.t - y.t);
	process.stdout.write(`${JSON.stringify(done.map((d) => ({ ...d, t: Math.round(d.t) })))}\n`, () => process.exit(0));
}
process.stdin.on('data', (d) => d.toString().includes('stop') && void stop());
process.stdin.on('end', () => void stop());
process.on('SIGTERM', () => void stop());
