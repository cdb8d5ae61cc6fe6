// Who does the internet see? A TCP server on the "internet" host that answers each connection with the
// address it came from, and a client that opens N short connections one after another and counts the answers.
// A drain test tells the master's WAN address from the peer's own uplink address this way.
//   node whoami.mjs serve <port>                  -> prints READY; answers "<remote address>\n" and closes
//   node whoami.mjs ask <host> <port> <n>         -> prints {"answers":{"<addr>":count},"failed":k,"errors":{...}}
import net from 'node:net';

const [mode, ...rest] = process.argv.slice(2);

if (mode === 'serve') {
	const server = net.createServer((s) => {
		s.on('error', () => {});
		s.end(`${s.remoteAddress?.replace(/^::ffff:/, '')}\n`);
	});
	server.listen({ port: Number(rest[0]), host: '0.0.0.0', backlog: 1024 }, () => process.stdout.write('READY\n'));
	const quit = () => process.exit(0);
	process.on('SIGTERM', quit);
	process.on('SIGINT', quit);
	process.stdin.on('end', quit);
	process.stdin.resume();
} else if (mode === 'ask') {
	const [host, port, n] = [rest[0], Number(rest[1]), Number(rest[2])];
	const answers = {};
	const errors = {};
	let failed = 0;
	const once = () =>
		new Promise((resolve) => {
			let got = '';
			const s = net.connect({ host, port });
			const t = setTimeout(() => s.destroy(new Error('timeout')), 3000);
			s.on('data', (d) => (got += d.toString()));
			s.on('error', (e) => {
				clearTimeout(t);
				failed++;
				errors[e.code ?? e.message] = (errors[e.code ?? e.message] ?? 0) + 1;
				resolve();
			});
			s.on('close', () => {
				clearTimeout(t);
				const a = got.trim();
				if (a) answers[a] = (answers[a] ?? 0) + 1;
				resolve();
			});
		});
	for (let i = 0; i < n; i++) await once();
	process.stdout.write(`${JSON.stringify({ answers, failed, errors })}\n`);
} else {
	process.stderr.write('usage: whoami.mjs serve <port> | ask <host> <port> <n>\n');
	process.exit(2);
}
