// The traffic meter: long-lived TCP echo streams with sequence numbers, a UDP echo stream and a ping, from a LAN
// client to the internet server, through the router pair. The measuring programs are meter/server.mjs and
// meter/client.mjs, run inside the namespaces; this module starts them, marks events and collects the JSON result.
import { existsSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { killPid, nsSpawn } from './exec.ts';
import type { Testbed } from './testbed.ts';

// Next to this file; when bundled (test/bench/failover.mjs) import.meta.dirname moves, so also look from the repo root.
const METER = [path.join(import.meta.dirname, 'meter'), path.resolve('test/e2e/lib/meter')].find((d) => existsSync(path.join(d, 'client.mjs'))) ?? '';

export interface StreamResult {
	id: number;
	/** The client's source port (null: never connected): finds the stream in a router's conntrack table. */
	localPort: number | null;
	survived: boolean;
	gapMs: number;
	/** When the largest gap began, relative to the 'fault' mark (or to the window start without one). */
	gapAtMs: number;
	bytesSent: number;
	bytesReceived: number;
	bytesMismatched: number;
	error: string | null;
}

export interface TrafficResult {
	window: { startMs: number; stopMs: number; marks: Record<string, number> };
	tcp: {
		streams: number;
		survived: number;
		reset: number;
		errors: Record<string, number>;
		/** Largest gap of any stream (a dead stream's gap runs to the stop). */
		gapMaxMs: number;
		gapP50Ms: number;
		gapP95Ms: number;
		/** Largest gap among the streams that survived. */
		survivedGapMaxMs: number;
		/** Longest time in which no stream received anything. */
		anyGapMs: number;
		bytesSent: number;
		bytesReceived: number;
		bytesLost: number;
		bytesMismatched: number;
	};
	udp: { sent: number; received: number; lossPct: number; gapMaxMs: number };
	ping: { sent: number; received: number; lossPct: number; gapMaxMs: number };
	perStream: StreamResult[];
}

export interface MeterOptions {
	streams?: number;
	intervalMs?: number;
	udpIntervalMs?: number;
	pingIntervalS?: number;
	connectTimeoutMs?: number;
	/** Which client namespace runs the streams (default the first). */
	client?: number;
}

export interface Meter {
	/** Records the time of an event (epoch ms as seen by the meter). */
	mark(label: string): Promise<number>;
	/** Stops the traffic and returns the result. */
	stop(): Promise<TrafficResult>;
	/** Kills the meter processes (also done by the testbed's destroy()). */
	kill(): void;
}

export const TCP_PORT = 5001;
const UDP_PORT = 5002;

function lines(child: ChildProcess): { next(pred: (l: string) => boolean, timeoutMs: number, what: string): Promise<string> } {
	const rl = readline.createInterface({ input: child.stdout! });
	const buf: string[] = [];
	let waiter: (() => void) | undefined;
	rl.on('line', (l) => {
		buf.push(l);
		waiter?.();
	});
	let stderr = '';
	child.stderr?.on('data', (d: Buffer) => {
		stderr = (stderr + d.toString()).slice(-4000);
	});
	return {
		async next(pred, timeoutMs, what) {
			const end = Date.now() + timeoutMs;
			for (;;) {
				const i = buf.findIndex(pred);
				if (i >= 0) return buf.splice(i, 1)[0]!;
				const left = end - Date.now();
				if (left <= 0 || child.exitCode !== null) {
					throw new Error(`meter: no ${what} within ${timeoutMs} ms (exit ${child.exitCode}); output: ${buf.join(' | ')} stderr: ${stderr}`);
				}
				await new Promise<void>((r) => {
					const t = setTimeout(r, Math.min(left, 200));
					waiter = () => {
						clearTimeout(t);
						r();
					};
				});
				waiter = undefined;
			}
		},
	};
}

/** Starts the echo servers and the client; resolves once every stream is delivering (the window is open). */
export async function startMeter(bed: Testbed, opts: MeterOptions = {}): Promise<Meter> {
	const server = bed.track(nsSpawn(bed.server.ns, process.execPath, [path.join(METER, 'server.mjs'), String(TCP_PORT), String(UDP_PORT)]));
	const sl = lines(server);
	await sl.next((l) => l === 'READY', 10_000, 'server READY');
	const client = bed.clients[opts.client ?? 0];
	if (!client) throw new Error('meter: no such client');
	const { client: _c, ...rest } = opts;
	const copt = { server: bed.server.addr, tcpPort: TCP_PORT, udpPort: UDP_PORT, ...rest };
	const proc = bed.track(nsSpawn(client.ns, process.execPath, [path.join(METER, 'client.mjs'), JSON.stringify(copt)]));
	const cl = lines(proc);
	const kill = (): void => {
		for (const p of [proc, server]) if (p.pid !== undefined && p.exitCode === null) killPid(p.pid, 'SIGKILL');
	};
	try {
		const first = await cl.next((l) => l.startsWith('READY') || l.startsWith('FAILED'), (opts.connectTimeoutMs ?? 15_000) + 5_000, 'client READY');
		if (first.startsWith('FAILED')) throw new Error(`meter: streams did not start: ${first}`);
	} catch (e) {
		kill();
		throw e;
	}
	return {
		async mark(label) {
			proc.stdin!.write(`mark ${label}\n`);
			const l = await cl.next((x) => x.startsWith(`MARK ${label} `), 5_000, `MARK ${label}`);
			return Number(l.split(' ')[2]);
		},
		async stop() {
			proc.stdin!.write('stop\n');
			const l = await cl.next((x) => x.startsWith('{'), 20_000, 'result');
			kill();
			return JSON.parse(l) as TrafficResult;
		},
		kill,
	};
}

/** The result without the per-stream rows, for printing. */
export function summary(r: TrafficResult): Omit<TrafficResult, 'perStream'> {
	const { perStream: _p, ...rest } = r;
	return rest;
}
