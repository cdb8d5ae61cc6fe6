// The drain against issue 13's targets (root only): on a pair where each router has an uplink of its own, N runs of:
// 200 TCP echo streams open on the master, `drain on`, 200 new short connections from the LAN (the internet server
// answers each with the source address it saw), then the streams close and `drain status --wait` must come back.
// Targets: 100 % of the new connections served by the peer (seen from its uplink address, none of their packets on
// the master's WAN port), 100 % of the open streams kept with 0 resets, --wait back within 0.5 s of the last close.
// Usage: node scripts/run-ts.mjs test/bench/drain.ts [--runs 20] [--streams 200] [--new 200] [--out bench/drain.md]
import { existsSync, readFileSync } from 'node:fs';
import { writeReport } from './report.ts';
import { cpus } from 'node:os';
import path from 'node:path';
import { haRouter, haRouterStack } from '../e2e/lib/ha-router-node.ts';
import { nsRun, nsRunAsync, nsSpawn } from '../e2e/lib/exec.ts';
import { bootPair } from '../e2e/lib/scenarios.ts';
import { createTestbed, hasVip, uplinkAddr, type RouterNode, type Testbed } from '../e2e/lib/testbed.ts';
import { startMeter } from '../e2e/lib/traffic.ts';
import { defaultRole } from '../e2e/lib/uci-files.ts';
import { arg, numberArg } from './args.ts';

const RUNS = numberArg('runs', 20);
const STREAMS = numberArg('streams', 200);
const NEW = numberArg('new', 200);
const OUT = arg('out') ?? 'bench/drain.md';
const WHOAMI = path.resolve('test/e2e/lib/meter/whoami.mjs');
const PORT = '5003';

interface Run {
	/** Who the internet server saw, by source address (the peer's uplink, or the shared WAN address). */
	answers?: Record<string, number>;
	/** The node holding the VIP at the end, and whether the drain was still in force on the master. */
	masterAfter?: string;
	drainStillOn?: boolean;
	/** keepalived's state changes on the master after `drain on` (a role change ends a drain). */
	masterStates?: string[];
	newServedByPeer: number;
	newFailed: number;
	newOnMasterWan: number;
	streamsKept: number;
	resets: number;
	waitAfterCloseMs: number | null;
	error?: string;
}

async function cli(node: RouterNode, args: string[]): Promise<Record<string, unknown>> {
	const r = await haRouter(node, ['drain', ...args, '--json', '--root', node.root], 120_000);
	return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** Packets from the uplink range entering the ISP on the master's WAN port. */
function masterWanCounter(bed: Testbed, master: RouterNode): () => number {
	nsRun(bed.ns.isp, 'nft', ['-f', '-'], { input: `table netdev bench {\nchain in { type filter hook ingress device "${master.name}" priority 0; ip saddr 192.0.2.0/24 counter; }\n}\n` });
	return () => Number(/counter packets (\d+)/.exec(nsRun(bed.ns.isp, 'nft', ['list', 'table', 'netdev', 'bench']).stdout)?.[1] ?? -1);
}

async function once(): Promise<Run> {
	const bed = await createTestbed({ uplinks: true });
	try {
		for (const r of bed.routers) await haRouterStack.configure(bed, r, defaultRole(r));
		const master = await bootPair(haRouterStack, bed, () => {});
		const peer = bed.routers.find((r) => r !== master)!;
		const srv = bed.track(nsSpawn(bed.server.ns, process.execPath, [WHOAMI, 'serve', PORT]));
		await new Promise<void>((resolve) => srv.stdout!.on('data', (d: Buffer) => d.toString().includes('READY') && resolve()));
		const onWan = masterWanCounter(bed, master);
		const meter = await startMeter(bed, { streams: STREAMS });
		const logFile = path.join(master.root, 'var/log/keepalived.log');
		const logBefore = existsSync(logFile) ? readFileSync(logFile, 'utf8').length : 0;
		const on = await cli(master, ['on']);
		if (on.ok !== true) throw new Error(`drain on: ${String(on.text)}`);
		const ask = await nsRunAsync(bed.clients[0]!.ns, process.execPath, [WHOAMI, 'ask', bed.server.addr, PORT, String(NEW)], { timeoutMs: 300_000 });
		const seen = JSON.parse(ask.stdout) as { answers: Record<string, number>; failed: number };
		const stillOn = (await cli(master, ['status'])).draining === true;
		const waiting = cli(master, ['status', '--wait', '60']).then((r) => ({ r, at: Date.now() }));
		const traffic = await meter.stop();
		const closedAt = Date.now();
		const { r: waited, at } = await waiting;
		await cli(master, ['off']);
		return {
			answers: seen.answers,
			masterAfter: bed.routers.find((r) => hasVip(r))?.name ?? 'none',
			drainStillOn: stillOn,
			masterStates: existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(logBefore).split('\n').filter((l) => /Entering \w+ STATE|split brain|track/i.test(l)).slice(0, 6) : [],
			newServedByPeer: seen.answers[uplinkAddr(peer)] ?? 0,
			newFailed: seen.failed,
			newOnMasterWan: onWan(),
			streamsKept: traffic.tcp.survived,
			resets: traffic.tcp.reset,
			waitAfterCloseMs: waited.ok === true ? at - closedAt : null,
		};
	} finally {
		await bed.destroy();
	}
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN;

const runs: Run[] = [];
for (let i = 0; i < RUNS; i++) {
	const r = await once().catch((e: Error) => ({ newServedByPeer: 0, newFailed: NEW, newOnMasterWan: -1, streamsKept: 0, resets: -1, waitAfterCloseMs: null, error: e.message }));
	runs.push(r);
	process.stderr.write(`drain run ${i + 1}/${RUNS}: ${JSON.stringify(r)}\n`);
}
const met = (r: Run) => r.newServedByPeer === NEW && r.newOnMasterWan === 0 && r.streamsKept === STREAMS && r.resets === 0 && r.waitAfterCloseMs !== null && r.waitAfterCloseMs <= 500;
const waits = runs.map((r) => r.waitAfterCloseMs).filter((w): w is number => w !== null);
writeReport(OUT, [
	'# Drain (issue 13)',
	'',
	`Generated by \`make bench\` (test/bench/drain.ts) on ${new Date().toISOString()}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}. ` +
		`${RUNS} runs on the linux platform, each router with an uplink of its own: ${STREAMS} TCP echo streams open on the master, \`drain on\`, ` +
		`${NEW} new short connections from the LAN, then the streams close while \`drain status --wait 60\` runs.`,
	'',
	'| target | result |',
	'|---|---|',
	`| new connections served by the peer (100 %) | ${runs.reduce((a, r) => a + r.newServedByPeer, 0)} of ${RUNS * NEW}; failed ${runs.reduce((a, r) => a + r.newFailed, 0)}; packets of theirs on the master's WAN ${runs.reduce((a, r) => a + Math.max(0, r.newOnMasterWan), 0)} |`,
	`| open streams kept here, 0 resets | ${runs.reduce((a, r) => a + r.streamsKept, 0)} of ${RUNS * STREAMS}; resets ${runs.reduce((a, r) => a + Math.max(0, r.resets), 0)} |`,
	`| \`--wait\` back after the last close (≤ 0.5 s) | median ${median(waits)} ms, worst ${waits.length ? Math.max(...waits) : NaN} ms (${waits.length} of ${RUNS} returned) |`,
	`| runs meeting every target | ${runs.filter(met).length} of ${RUNS} |`,
], runs);
