// Sites test instrument: a backend that tells each connection where it came from and echoes its lines, and a client
// that holds one connection from a fixed address and port, sending a numbered line every interval and checking that
// the very same line comes back (a reply from another site's connection would carry the other site's name).
//   node site-echo.mjs serve <port>                                  -> prints READY; per connection first writes
//                                                                        "<remote address>:<remote port>\n", then echoes
//   node site-echo.mjs hold <host> <port> <localAddr> <localPort> <name> <ms> <intervalMs>
//      -> prints {"seenAs":..,"sent":n,"echoed":k,"wrong":w,"maxGapMs":g,"error":e|null} when <ms> is over
import net from 'node:net';

const [mode, ...rest] = process.argv.slice(2);

if (mode === 'serve') {
	const server = net.createServer((s) => {
		s.on('error', () => {});
		s.write(`${s.remoteAddress?.replace(/^::ffff:/, '')}:${s.remotePort}\n`);
		s.pipe(s);
	});
	server.listen({ port: Number(rest[0]), host: '0.0.0.0', backlog: 64 }, () => process.stdout.write('READY\n'));
	const quit = () => process.exit(0);
	process.on('SIGTERM', quit);
	process.stdin.on('end', quit);
	process.stdin.resume();
} else if (mode === 'hold') {
	const [host, port, localAddress, localPort, name, ms, every] = [rest[0], Number(rest[1]), rest[2], Number(rest[3]), rest[4], Number(rest[5]), Number(rest[6])];
	const out = { seenAs: null, sent: 0, echoed: 0, wrong: 0, maxGapMs: 0, error: null };
	let buf = '';
	let last = Date.now();
	let timer;
	const done = () => {
		clearInterval(timer);
		out.maxGapMs = Math.max(out.maxGapMs, Date.now() - last);
		process.stdout.write(`${JSON.stringify(out)}\n`);
		process.exit(0);
	};
	const s = net.connect({ host, port, localAddress, localPort });
	s.setNoDelay(true);
	s.on('error', (e) => {
		out.error = e.code ?? e.message;
		done();
	});
	s.on('data', (d) => {
		buf += d.toString();
		let nl;
		while ((nl = buf.indexOf('\n')) >= 0) {
			const line = buf.slice(0, nl);
			buf = buf.slice(nl + 1);
			if (out.seenAs === null) out.seenAs = line;
			else if (line === `${name} ${out.echoed + 1}`) {
				out.echoed++;
				const now = Date.now();
				out.maxGapMs = Math.max(out.maxGapMs, now - last);
				last = now;
			} else out.wrong++;
		}
	});
	s.on('connect', () => {
		last = Date.now();
		timer = setInterval(() => {
			out.sent++;
			s.write(`${name} ${out.sent}\n`);
		}, every);
		setTimeout(done, ms);
	});
} else {
	process.stderr.write('usage: site-echo.mjs serve <port> | hold <host> <port> <localAddr> <localPort> <name> <ms> <intervalMs>\n');
	process.exit(2);
}
