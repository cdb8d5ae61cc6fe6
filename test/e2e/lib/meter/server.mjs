// Traffic meter, server side (the "internet" host): a TCP echo and a UDP echo. Run inside the server's namespace:
//   ip netns exec <srv> node server.mjs <tcpPort> <udpPort>
// Prints READY when both listen. Exits on SIGTERM/SIGINT or when stdin closes.
import net from 'node:net';
import dgram from 'node:dgram';

const tcpPort = Number(process.argv[2] ?? 5001);
const udpPort = Number(process.argv[3] ?? 5002);
let pending = 2;
const ready = () => {
	if (--pending === 0) process.stdout.write('READY\n');
};

const sockets = new Set();
const tcp = net.createServer((s) => {
	sockets.add(s);
	s.setNoDelay(true);
	s.on('data', (d) => s.write(d));
	s.on('error', () => {});
	s.on('close', () => sockets.delete(s));
});
tcp.maxConnections = 10000;
tcp.listen({ port: tcpPort, host: '0.0.0.0', backlog: 1024 }, ready);

const udp = dgram.createSocket('udp4');
udp.on('message', (msg, rinfo) => udp.send(msg, rinfo.port, rinfo.address));
udp.on('error', () => {});
udp.bind(udpPort, '0.0.0.0', ready);

const quit = () => {
	for (const s of sockets) s.destroy();
	tcp.close();
	udp.close();
	process.exit(0);
};
process.on('SIGTERM', quit);
process.on('SIGINT', quit);
process.stdin.on('end', quit);
process.stdin.resume();
