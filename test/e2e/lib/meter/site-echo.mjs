// Sites test instrument: a backend that tells each connection where it came from and echoes its lines, and a client
// that holds one connection from a fixed address and port, sending a numbered line every interval and checking that
// the very same line comes back (a reply from another site's connection would carry the other site's name).
//   node site-echo.mjs serve <port>                                  -> prints READY; per connection first writes
//                                                                        "<remote address>:<remote port>\n", then echoes
//   node site-echo.mjs hold <host> <port> <localAddr> <localPort> <name> <ms> <intervalMs>
//      -> prints {"seenAs":..,"sent":n,"echoed":k,"wrong":w,"maxGapMs":g,"error":e|null} when <ms> is over
//   node site-echo.mjs many <host> <port> <localAddr> <firstPort> <count> <name> <intervalMs>
//      -> <count> such connections at once, from ports firstPort.., each line "<name> c<k> <n>"; prints
//         "CONNECTED <ok> <failed>" once every one has opened or failed, and on a "stop" line (or the end of stdin)
//         one JSON array, per connection {"port","seenAs","sent","echoed","wrong","leaks","maxGapMs","error"}:
//         `leaks` counts lines carrying another site's name (<name> is "s<site id>")
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
	// A connection that never opens ends the run too, with a sentence, instead of TCP's two minutes.
	setTimeout(() => {
		out.error ??= `no connection within ${ms + 3000} ms`;
		done();
	}, ms + 3000);
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
} else if (mode === 'many') {
	const [host, port, localAddress, firstPort, count, name, every] = [rest[0], Number(rest[1]), rest[2], Number(rest[3]), Number(rest[4]), rest[5], Number(rest[6])];
	const conns = [];
	let pending = count;
	let ok = 0;
	const opened = (c, good) => {
		if (c.settled) return;
		c.settled = true;
		if (good) ok++;
		if (--pending === 0) process.stdout.write(`CONNECTED ${ok} ${count - ok}\n`);
	};
	let stopped = false;
	const stopAll = () => {
		if (stopped) return;
		stopped = true;
		const now = Date.now();
		const out = conns.map((c) => {
			clearInterval(c.timer);
			if (c.error === null) c.maxGapMs = Math.max(c.maxGapMs, now - c.last);
			c.sock.destroy();
			return { port: c.port, seenAs: c.seenAs, sent: c.sent, echoed: c.echoed, wrong: c.wrong, leaks: c.leaks, maxGapMs: c.maxGapMs, error: c.error };
		});
		process.stdout.write(`${JSON.stringify(out)}\n`, () => process.exit(0));
	};
	for (let k = 0; k < count; k++) {
		// Staggered a little: 50 SYNs at once from every site would only measure the backends' accept queue.
		setTimeout(() => {
			const c = { port: firstPort + k, seenAs: null, sent: 0, echoed: 0, wrong: 0, leaks: 0, maxGapMs: 0, error: null, last: Date.now(), timer: undefined, settled: false, buf: '' };
			const fail = (why) => {
				c.error ??= why;
				c.maxGapMs = Math.max(c.maxGapMs, Date.now() - c.last);
				clearInterval(c.timer);
				opened(c, false);
			};
			const s = net.connect({ host, port, localAddress, localPort: c.port });
			c.sock = s;
			conns.push(c);
			s.setNoDelay(true);
			const t = setTimeout(() => {
				if (!c.settled) {
					fail('no connection within 5000 ms');
					s.destroy();
				}
			}, 5000);
			s.on('error', (e) => fail(e.code ?? e.message));
			s.on('close', () => fail('closed'));
			s.on('data', (d) => {
				c.buf += d.toString();
				let nl;
				while ((nl = c.buf.indexOf('\n')) >= 0) {
					const line = c.buf.slice(0, nl);
					c.buf = c.buf.slice(nl + 1);
					if (c.seenAs === null) c.seenAs = line;
					else if (line === `${name} c${k} ${c.echoed + 1}`) {
						c.echoed++;
						const now = Date.now();
						c.maxGapMs = Math.max(c.maxGapMs, now - c.last);
						c.last = now;
					} else {
						c.wrong++;
						if (line.split(' ')[0] !== name) c.leaks++;
					}
				}
			});
			s.on('connect', () => {
				clearTimeout(t);
				c.last = Date.now();
				opened(c, true);
				c.timer = setInterval(() => {
					if (c.error !== null) return;
					c.sent++;
					s.write(`${name} c${k} ${c.sent}\n`);
				}, every);
			});
		}, k * 5);
	}
	let input = '';
	process.stdin.on('data', (d) => {
		input += d.toString();
		if (input.includes('stop')) stopAll();
	});
	process.stdin.on('end', stopAll);
} else {
	process.stderr.write('usage: site-echo.mjs serve <port> | hold <host> <port> <localAddr> <localPort> <name> <ms> <intervalMs> | many <host> <port> <localAddr> <firstPort> <count> <name> <intervalMs>\n');
	process.exit(2);
}
