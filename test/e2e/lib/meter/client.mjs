// Traffic meter, client side. Run inside a LAN client's namespace:
//   ip netns exec <client> node client.mjs '<json options>'
// Opens `streams` long-lived TCP connections to the server's echo port, each sending 16-byte records carrying the
// stream id and a sequence number every `intervalMs`, and checks that the echo comes back byte for byte in order.
// Also a UDP echo stream and a ping. Protocol on stdin/stdout (one line each):
//   -> READY <n>            all streams connected, measurement window open
//   <- mark <label>         records the time of an event (e.g. "fault"); answered with "MARK <label> <epoch ms>"
//   <- stop                 stops sending, drains, prints one line of JSON (the result) and exits
// Every time is in epoch milliseconds (float). A gap is the time between two consecutive receipts of data on one
// stream; the tail from a stream's last receipt to the stop counts as a gap too, so a dead stream shows its outage.
import net from 'node:net';
import dgram from 'node:dgram';
import readline from 'node:readline';
import { spawn } from 'node:child_process';

const opt = {
	server: '203.0.113.10',
	tcpPort: 5001,
	udpPort: 5002,
	streams: 50,
	intervalMs: 20,
	udpIntervalMs: 10,
	pingIntervalS: 0.02,
	connectTimeoutMs: 15000,
	drainMs: 1500,
	...JSON.parse(process.argv[2] ?? '{}'),
};

const now = () => performance.timeOrigin + performance.now();
const REC = 16;
const MAGIC = 0x48523721;

function record(id, seq) {
	const b = Buffer.allocUnsafe(REC);
	b.writeUInt32BE(id, 0);
	b.writeUInt32BE(seq >>> 0, 4);
	b.writeUInt32BE((seq ^ 0xa5a5a5a5) >>> 0, 8);
	b.writeUInt32BE(MAGIC, 12);
	return b;
}

const marks = {};
let windowStart = 0;
let stopping = false;
let anyLastRx = 0;
let anyGap = { ms: 0, at: 0 };

function noteAny(t) {
	if (windowStart && t >= windowStart && anyLastRx) {
		const g = t - Math.max(anyLastRx, windowStart);
		if (g > anyGap.ms) anyGap = { ms: g, at: Math.max(anyLastRx, windowStart) };
	}
	anyLastRx = t;
}

class Stream {
	constructor(id) {
		this.id = id;
		this.seq = 0;
		this.sentBytes = 0;
		this.rxBytes = 0;
		this.mismatched = 0;
		this.lastRx = 0;
		this.maxGap = 0;
		this.maxGapAt = 0;
		this.error = undefined;
		this.closed = false;
		this.connected = false;
		this.sock = net.connect({ host: opt.server, port: opt.tcpPort });
		this.sock.setNoDelay(true);
		this.sock.on('connect', () => {
			this.connected = true;
			this.connectedAt = now();
			this.localPort = this.sock.localPort;
		});
		this.sock.on('data', (d) => this.onData(d));
		this.sock.on('error', (e) => {
			this.error ??= e.code ?? String(e);
			this.errorAt ??= now();
		});
		this.sock.on('close', () => {
			this.closed = true;
			this.closedAt ??= now();
		});
	}
	send() {
		if (!this.connected || this.closed || this.error) return;
		this.sock.write(record(this.id, this.seq++));
		this.sentBytes += REC;
	}
	onData(d) {
		const t = now();
		// Compare byte for byte with what was sent, in order.
		for (let i = 0; i < d.length; i++) {
			const off = this.rxBytes + i;
			const rec = Math.floor(off / REC);
			if (this._recNo !== rec) {
				this._recNo = rec;
				this._rec = record(this.id, rec);
			}
			if (d[i] !== this._rec[off % REC]) this.mismatched++;
		}
		this.rxBytes += d.length;
		if (windowStart && t >= windowStart && this.lastRx) {
			const g = t - Math.max(this.lastRx, windowStart);
			if (g > this.maxGap) {
				this.maxGap = g;
				this.maxGapAt = Math.max(this.lastRx, windowStart);
			}
		}
		this.lastRx = t;
		noteAny(t);
	}
}

// UDP echo stream.
const udp = { sock: dgram.createSocket('udp4'), seq: 0, sent: 0, received: 0, seen: new Set(), lastRx: 0, maxGap: 0, maxGapAt: 0 };
udp.sock.on('message', (m) => {
	const t = now();
	const s = m.readUInt32BE(0);
	if (udp.seen.has(s)) return;
	udp.seen.add(s);
	udp.received++;
	if (windowStart && t >= windowStart && udp.lastRx) {
		const g = t - Math.max(udp.lastRx, windowStart);
		if (g > udp.maxGap) {
			udp.maxGap = g;
			udp.maxGapAt = Math.max(udp.lastRx, windowStart);
		}
	}
	udp.lastRx = t;
});
udp.sock.on('error', () => {});
udp.sock.bind(0);
function udpSend() {
	const b = Buffer.alloc(64);
	b.writeUInt32BE(udp.seq++, 0);
	udp.sock.send(b, opt.udpPort, opt.server, () => {});
	udp.sent++;
}

// Ping (iputils, -D prints an epoch timestamp per reply).
const ping = { sent: 0, received: 0, lastRx: 0, maxGap: 0, maxGapAt: 0, started: false };
let pingProc;
function startPing() {
	pingProc = spawn('ping', ['-n', '-D', '-i', String(opt.pingIntervalS), '-W', '1', opt.server], { stdio: ['ignore', 'pipe', 'ignore'] });
	const rl = readline.createInterface({ input: pingProc.stdout });
	rl.on('line', (l) => {
		const m = /^\[(\d+\.\d+)\] \d+ bytes from .*icmp_seq=(\d+)/.exec(l);
		if (m) {
			const t = Number(m[1]) * 1000;
			ping.received++;
			if (windowStart && t >= windowStart && ping.lastRx) {
				const g = t - Math.max(ping.lastRx, windowStart);
				if (g > ping.maxGap) {
					ping.maxGap = g;
					ping.maxGapAt = Math.max(ping.lastRx, windowStart);
				}
			}
			ping.lastRx = t;
			return;
		}
		const s = /(\d+) packets transmitted, (\d+) received/.exec(l);
		if (s) ping.sent = Number(s[1]);
	});
}

const streams = [];
for (let i = 0; i < opt.streams; i++) streams.push(new Stream(i));

const tcpTimer = setInterval(() => {
	if (stopping) return;
	for (const s of streams) s.send();
}, opt.intervalMs);
const udpTimer = setInterval(() => {
	if (!stopping) udpSend();
}, opt.udpIntervalMs);
startPing();

const t0 = now();
const readyTimer = setInterval(() => {
	const n = streams.filter((s) => s.connected).length;
	const failed = streams.filter((s) => s.error || s.closed).length;
	if (n === streams.length && streams.every((s) => s.lastRx > 0) && udp.received > 0 && ping.received > 0) {
		clearInterval(readyTimer);
		windowStart = now();
		process.stdout.write(`READY ${n}\n`);
	} else if (now() - t0 > opt.connectTimeoutMs) {
		clearInterval(readyTimer);
		process.stdout.write(`FAILED connected=${n} failed=${failed} udp=${udp.received} ping=${ping.received}\n`);
	}
}, 20);

function pct(a, b) {
	return b > 0 ? Math.round((10000 * a) / b) / 100 : 0;
}
function quantile(xs, q) {
	if (xs.length === 0) return 0;
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
const r1 = (x) => Math.round(x * 10) / 10;

async function stop() {
	if (stopping) return;
	stopping = true;
	const stopAt = now();
	clearInterval(tcpTimer);
	clearInterval(udpTimer);
	// Drain: wait until every live stream has its echo back, bounded by drainMs.
	const end = stopAt + opt.drainMs;
	while (now() < end && streams.some((s) => !s.error && !s.closed && s.rxBytes < s.sentBytes)) {
		await new Promise((r) => setTimeout(r, 20));
	}
	pingProc.kill('SIGINT');
	await new Promise((r) => {
		const t = setTimeout(r, 1000);
		pingProc.on('exit', () => {
			clearTimeout(t);
			r();
		});
	});
	const fault = marks.fault;
	const aliveWindow = Math.max(500, 5 * opt.intervalMs);
	const per = streams.map((s) => {
		const tail = s.lastRx ? stopAt - Math.max(s.lastRx, windowStart) : stopAt - windowStart;
		const gap = Math.max(s.maxGap, tail);
		const gapAt = tail > s.maxGap ? Math.max(s.lastRx, windowStart) : s.maxGapAt;
		const deliveredAfterFault = fault === undefined || s.lastRx > fault;
		const survived = !s.error && !s.closed && s.mismatched === 0 && s.lastRx >= stopAt - aliveWindow && deliveredAfterFault;
		return {
			id: s.id,
			localPort: s.localPort ?? null,
			survived,
			gapMs: r1(gap),
			gapAtMs: fault === undefined ? r1(gapAt - windowStart) : r1(gapAt - fault),
			bytesSent: s.sentBytes,
			bytesReceived: s.rxBytes,
			bytesMismatched: s.mismatched,
			error: s.error ?? (s.closed ? 'closed' : null),
		};
	});
	const errors = {};
	for (const p of per) if (p.error) errors[p.error] = (errors[p.error] ?? 0) + 1;
	const gaps = per.map((p) => p.gapMs);
	const survivedGaps = per.filter((p) => p.survived).map((p) => p.gapMs);
	const sent = per.reduce((a, p) => a + p.bytesSent, 0);
	const rx = per.reduce((a, p) => a + p.bytesReceived, 0);
	const anyTail = stopAt - Math.max(anyLastRx, windowStart);
	const result = {
		window: { startMs: windowStart, stopMs: stopAt, marks },
		tcp: {
			streams: per.length,
			survived: per.filter((p) => p.survived).length,
			reset: per.filter((p) => p.error === 'ECONNRESET').length,
			errors,
			gapMaxMs: r1(Math.max(0, ...gaps)),
			gapP50Ms: r1(quantile(gaps, 0.5)),
			gapP95Ms: r1(quantile(gaps, 0.95)),
			survivedGapMaxMs: r1(Math.max(0, ...survivedGaps)),
			anyGapMs: r1(Math.max(anyGap.ms, anyTail)),
			bytesSent: sent,
			bytesReceived: rx,
			bytesLost: sent - rx,
			bytesMismatched: per.reduce((a, p) => a + p.bytesMismatched, 0),
		},
		udp: { sent: udp.sent, received: udp.received, lossPct: pct(udp.sent - udp.received, udp.sent), gapMaxMs: r1(Math.max(udp.maxGap, stopAt - Math.max(udp.lastRx, windowStart))) },
		ping: { sent: ping.sent, received: ping.received, lossPct: pct(ping.sent - ping.received, ping.sent), gapMaxMs: r1(Math.max(ping.maxGap, stopAt - Math.max(ping.lastRx, windowStart))) },
		perStream: per,
	};
	process.stdout.write(`${JSON.stringify(result)}\n`, () => {
		for (const s of streams) s.sock.destroy();
		udp.sock.close();
		process.exit(0);
	});
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
	const [cmd, label] = line.trim().split(/\s+/);
	if (cmd === 'mark' && label) {
		marks[label] = now();
		process.stdout.write(`MARK ${label} ${marks[label]}\n`);
	} else if (cmd === 'stop') {
		void stop();
	}
});
rl.on('close', () => void stop());
