// Several WANs against issue 14's targets (root only), on `createTestbed({ uplinks: true, secondIsp: true })`: each
// router has the shared WAN (uplink isp1, ISP 1, DHCP) and an uplink of its own on a second ISP (uplink isp2, up0,
// 192.0.2.0/24), weights 1 : 1 (so a new connection picks isp2 every second time on average: finer timing than 3 : 1),
// track_ip the internet server, the probe defaults (probe_interval 200 ms, down 3, up 3, probe_size 56).
//   1. Detection (--runs, a fresh pair each): the LAN client opens a new short connection every --conn-ms (20 ms),
//      each answered with the source address the server saw (meter/conn-probe.mjs), while the second ISP's line to the
//      master is (a) cut at the ISP (link down on the ISP's port) and (b) black-holed upstream (link up, the ISP
//      forwards nothing: nft drop), each followed by the return. Measured: the fault -> the agent's log line
//      "uplink isp2 (up0): dead after ..." (the log's own timestamp), the fault -> the start of the last new
//      connection sent to the dead uplink (answered by isp2's address, or failed: no connection fails otherwise),
//      and the return -> "alive after ..." and -> the first new connection answered by isp2 again. Target <= 1 s.
//   2. Through each fault and return, --streams TCP echo streams (the traffic meter) balanced over both uplinks; the
//      ones the master's conntrack marked for isp1 (the healthy shared WAN) must show 0 resets, no gap > 0.1 s.
//   3. Failover (--failover-runs, a fresh pair each): --failover-streams streams spread over both uplinks, the master
//      crashed (faults.ts crash). Per stream: its uplink at the start (the master's conntrack mark and SNAT address),
//      at the end (the new master's conntrack entry, copied by conntrackd), which ISP port its packets entered after
//      the crash (nft counters per address and port at both ISPs) and whether it survived. Only the shared WAN's
//      streams can keep their uplink: a stream on the crashed master's own isp2 address (192.0.2.10) has no router
//      that owns that address any more, the new master's isp2 line has another one.
//   4. Probe traffic (once, in the first detection run, before any fault, no other traffic): nft counters on the ISPs'
//      ports (ingress: the echo requests from the router, egress: the replies to it) over --probe-s (10 s).
// Not a test: it prints numbers and says met / not met per target; it fails only if it cannot run.
// Usage: node scripts/run-ts.mjs test/bench/uplinks.ts [--runs 10] [--failover-runs 5] [--streams 40]
//        [--failover-streams 200] [--conn-ms 20] [--probe-s 10] [--faults cable-cut,black-hole] [--out bench/uplinks.md]
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { writeReport } from './report.ts';
import { crash } from '../e2e/lib/faults.ts';
import { haRouter, haRouterStack } from '../e2e/lib/ha-router-node.ts';
import { killPid, nsRun, nsSpawn, sleep, waitFor } from '../e2e/lib/exec.ts';
import { bootPair } from '../e2e/lib/scenarios.ts';
import { createTestbed, hasVip, SERVER, uplinkAddr, wanAddr, UPLINK_DEV, UPLINK_GW, type RouterNode, type Testbed } from '../e2e/lib/testbed.ts';
import { startMeter, type TrafficResult } from '../e2e/lib/traffic.ts';
import { defaultRole } from '../e2e/lib/uci-files.ts';
import { arg, numberArg } from './args.ts';

const RUNS = numberArg('runs', 10);
const FAILOVER_RUNS = numberArg('failover-runs', 5);
const STREAMS = numberArg('streams', 40);
const FO_STREAMS = numberArg('failover-streams', 200);
const CONN_MS = numberArg('conn-ms', 20);
const PROBE_S = numberArg('probe-s', 10);
const FAULTS = (arg('faults')?.split(',') ?? ['cable-cut', 'black-hole']) as FaultKind[];
const OUT = arg('out') ?? 'bench/uplinks.md';
const WHOAMI = path.resolve('test/e2e/lib/meter/whoami.mjs');
const CONN_PROBE = path.resolve('test/e2e/lib/meter/conn-probe.mjs');
const PORT = '5003';
const STREAM_PORT = 5001;
/** A new connection that gets no answer within this counts as failed (the kernel's first SYN retry is at 1 s). */
const CONN_TIMEOUT_MS = 2500;
const MARK = { isp1: 0x10000, isp2: 0x20000 } as const;
/** An ISP that keeps its links up but forwards nothing from its customers (as in test/e2e/uplinks.test.ts). */
const BLACKHOLE = 'table ip blackhole {\n\tchain forward {\n\t\ttype filter hook forward priority 0; policy accept;\n\t\tiifname "br0" drop\n\t}\n}\n';
const log = (s: string): void => {
	process.stderr.write(`${s}\n`);
};

/** The second ISP's interface and both uplink sections (the probe settings left at their defaults). */
function addUplinks(node: RouterNode): void {
	appendFileSync(
		path.join(node.root, 'etc/config/network'),
		`\nconfig interface 'isp2'\n\toption device '${UPLINK_DEV}'\n\toption proto 'static'\n\toption ipaddr '${uplinkAddr(node)}/24'\n\toption gateway '${UPLINK_GW}'\n`,
	);
	appendFileSync(
		path.join(node.root, 'etc/config/ha-router'),
		`\nconfig uplink 'isp1'\n\toption interface 'wan'\n\toption weight '1'\n\tlist track_ip '${SERVER}'\n\nconfig uplink 'isp2'\n\toption interface 'isp2'\n\toption weight '1'\n\tlist track_ip '${SERVER}'\n`,
	);
}

async function pairUp(): Promise<{ bed: Testbed; master: RouterNode }> {
	const bed = await createTestbed({ uplinks: true, secondIsp: true });
	try {
		for (const r of bed.routers) {
			await haRouterStack.configure(bed, r, defaultRole(r));
			addUplinks(r);
		}
		const master = await bootPair(haRouterStack, bed, () => {});
		const srv = bed.track(nsSpawn(bed.server.ns, process.execPath, [WHOAMI, 'serve', PORT]));
		await new Promise<void>((resolve, reject) => {
			srv.stdout!.on('data', (d: Buffer) => d.toString().includes('READY') && resolve());
			srv.on('exit', () => reject(new Error('whoami server exited')));
		});
		await waitFor('both uplinks of the master probed and alive', async () => {
			const r = await haRouter(master, ['uplinks', '--json', '--root', master.root]);
			const u = JSON.parse(r.stdout || '{}') as { uplinks?: { state: string; probed: boolean; rttMs: number | null }[] };
			return u.uplinks?.length === 2 && u.uplinks.every((l) => l.state === 'alive' && l.probed && l.rttMs !== null);
		}, 15_000, 200);
		return { bed, master };
	} catch (e) {
		await bed.destroy();
		throw e;
	}
}

/** The agent's log (<root>/var/log/agent.log: the testbed's `logger` writes a time-of-day line, then the messages). */
function agentLog(node: RouterNode, ref: number): { at: number; text: string }[] {
	const file = path.join(node.root, 'var/log/agent.log');
	if (!existsSync(file)) return [];
	const out: { at: number; text: string }[] = [];
	let at = NaN;
	for (const l of readFileSync(file, 'utf8').split('\n')) {
		const m = /^(\d\d):(\d\d):(\d\d)\.(\d{3})$/.exec(l);
		if (m) {
			const d = new Date(ref);
			d.setHours(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]));
			// A line of the day before (a run across midnight).
			at = d.getTime() - ref > 12 * 3600_000 ? d.getTime() - 86_400_000 : d.getTime();
		} else if (l.trim()) out.push({ at, text: l });
	}
	return out;
}

/** Waits for the agent's line matching `re` logged at or after `since`; its time from the log. */
function logLine(node: RouterNode, re: RegExp, since: number, timeoutMs: number): Promise<{ at: number; text: string }> {
	return waitFor(`agent log ${re}`, () => agentLog(node, since).find((l) => l.at >= since - 5 && re.test(l.text)), timeoutMs, 20);
}

interface Flow {
	sport: number;
	mark: number;
	/** The SNAT address and port (the reply tuple's destination). */
	natAddr: string;
	natPort: number;
}

/** The client's TCP flows to `dport` in a router's conntrack table, by client source port. */
function flows(node: RouterNode, dport: number): Map<number, Flow> {
	const out = nsRun(node.ns, 'conntrack', ['-L', '-p', 'tcp', '--dport', String(dport)], { check: false }).stdout;
	const m = new Map<number, Flow>();
	for (const x of out.matchAll(/src=\S+ dst=\S+ sport=(\d+) dport=\d+ .*?src=\S+ dst=(\S+) sport=\d+ dport=(\d+).*?mark=(\d+)/g)) {
		m.set(Number(x[1]), { sport: Number(x[1]), natAddr: x[2]!, natPort: Number(x[3]), mark: Number(x[4]) });
	}
	return m;
}

interface Conn {
	t: number;
	ms: number;
	a: string | null;
	e: string | null;
	/** The client's source port (null if it could not be read). */
	p: number | null;
}

/** meter/conn-probe.mjs in the client: a new connection every CONN_MS until stop(). */
async function startConnProbe(bed: Testbed): Promise<{ stop(): Promise<Conn[]> }> {
	const p = bed.track(nsSpawn(bed.clients[0]!.ns, process.execPath, [CONN_PROBE, bed.server.addr, PORT, String(CONN_MS), String(CONN_TIMEOUT_MS)]));
	const rl = readline.createInterface({ input: p.stdout! });
	const lines: string[] = [];
	rl.on('line', (l) => lines.push(l));
	await waitFor('conn-probe READY', () => {
		if (p.exitCode !== null) throw new Error('conn-probe exited');
		return lines.includes('READY');
	}, 10_000, 20);
	return {
		async stop() {
			p.stdin!.write('stop\n');
			const l = await waitFor('conn-probe result', () => lines.find((x) => x.startsWith('[')), CONN_TIMEOUT_MS + 5_000, 50);
			if (p.pid !== undefined) killPid(p.pid);
			return JSON.parse(l) as Conn[];
		},
	};
}

/** `nft monitor` in the node: the times (as read here) of every new element of the balance map. */
function watchBalanceMap(bed: Testbed, node: RouterNode): { changes: number[]; stop(): void } {
	const p = bed.track(nsSpawn(node.ns, 'nft', ['monitor', 'elements']));
	const changes: number[] = [];
	readline.createInterface({ input: p.stdout! }).on('line', (l) => {
		if (/add element .*uplink_balanced/.test(l)) changes.push(Date.now());
	});
	return {
		changes,
		stop() {
			if (p.pid !== undefined) killPid(p.pid);
		},
	};
}

type FaultKind = 'cable-cut' | 'black-hole';

function fault(bed: Testbed, master: RouterNode, kind: FaultKind, on: boolean): void {
	const isp2 = bed.ns.isp2!;
	if (kind === 'cable-cut') nsRun(isp2, 'ip', ['link', 'set', `u${master.index}`, on ? 'down' : 'up']);
	else if (on) nsRun(isp2, 'nft', ['-f', '-'], { input: BLACKHOLE });
	else nsRun(isp2, 'nft', ['delete', 'table', 'ip', 'blackhole']);
}

interface Outage {
	kind: FaultKind;
	/** The fault -> the agent's "dead after" line (log time). */
	deadLogMs: number | null;
	/** The fault -> the start of the last new connection sent to the dead uplink (answered by it, or failed). */
	lastToDeadMs: number | null;
	/** The fault -> the agent's nft transaction that took isp2 out of the balance map (`nft monitor` in the master). */
	mapOutMs: number | null;
	/** The fault -> the last new connection sent to the dead uplink, without the connections whose source port an
	 * earlier one had used that went to the dead uplink in this fault or failed in an earlier one (the same 5-tuple:
	 * conntrack takes the new SYN for that unanswered connection, with its uplink mark). */
	lastToDeadFreshMs: number | null;
	/** Connections sent to the dead uplink that started after the map change: start (ms after the fault), result,
	 * port, and how long before an earlier connection (see lastToDeadFreshMs) had that port, or null. */
	late: { t: number; ms: number; a: string | null; e: string | null; p: number | null; portUsedBefore: number | null }[];
	/** The agent's lines from the fault to the end, when something was late (a connection after the map change, or
	 * the map change more than 100 ms after the log line). */
	agentLines?: string[];
	/** New connections started after the fault that went to the dead uplink (failed, or answered by isp2). */
	toDeadAfterFault: number;
	/** Failed connections started after the "dead" line (none expected: isp1 is healthy). */
	failedAfterDead: number;
	/** The return -> the agent's "alive after" line, -> the map change putting isp2 back, and -> the first new
	 * connection answered by isp2 again. */
	aliveLogMs: number | null;
	mapBackMs: number | null;
	firstBackMs: number | null;
	/** Failed connections started after the return. */
	failedAfterReturn: number;
	connections: number;
	/** The meter's streams on the healthy uplink (isp1 by the master's conntrack mark) through the fault and return. */
	healthy: { streams: number; survived: number; resets: number; errors: Record<string, number>; gapMaxMs: number };
	/** The streams that were on the dead uplink, for the record. */
	onDead: { streams: number; survived: number; resets: number; errors: Record<string, number> };
	error?: string;
}

function streamsOn(traffic: TrafficResult, marks: Map<number, Flow>, mark: number) {
	const s = traffic.perStream.filter((p) => p.localPort !== null && marks.get(p.localPort)?.mark === mark);
	const errors: Record<string, number> = {};
	for (const p of s) if (p.error) errors[p.error] = (errors[p.error] ?? 0) + 1;
	return { streams: s.length, survived: s.filter((p) => p.survived).length, resets: s.filter((p) => p.error === 'ECONNRESET').length, errors, gapMaxMs: Math.max(0, ...s.map((p) => p.gapMs)) };
}

/** `failedPorts`: the source ports of the connections that failed earlier on this testbed (an earlier fault), each
 * with its start; a failed connection leaves an unanswered (SYN_SENT) conntrack entry with its uplink mark for 120 s. */
async function outage(bed: Testbed, master: RouterNode, kind: FaultKind, failedPorts: Map<number, number>): Promise<Outage> {
	const own = uplinkAddr(master);
	const meter = await startMeter(bed, { streams: STREAMS });
	const marks = flows(master, STREAM_PORT);
	const probe = await startConnProbe(bed);
	const maps = watchBalanceMap(bed, master);
	await sleep(1000);
	const faultAt = Date.now();
	fault(bed, master, kind, true);
	const dead = await logLine(master, /uplink isp2 \(up0\): dead after/, faultAt, 10_000).catch(() => null);
	// Long enough for every connection sent to the dead uplink before the change to have failed (CONN_TIMEOUT_MS).
	await sleep(3000);
	const backAt = Date.now();
	fault(bed, master, kind, false);
	const alive = await logLine(master, /uplink isp2 \(up0\): alive after/, backAt, 15_000).catch(() => null);
	await sleep(2000);
	const conns = await probe.stop();
	const traffic = await meter.stop();
	const mapOut = maps.changes.find((t) => t >= faultAt && t < backAt) ?? null;
	const mapBack = maps.changes.find((t) => t >= backAt) ?? null;
	maps.stop();
	const toDead = conns.filter((c) => c.t < backAt && (c.a === own || c.a === null));
	const lastToDead = toDead.length ? Math.max(...toDead.map((c) => c.t)) : null;
	const earlierFailed = new Map(failedPorts);
	for (const c of conns) if (c.a === null && c.p !== null) failedPorts.set(c.p, c.t);
	const usedBefore = (c: Conn) => {
		const earlier = toDead.filter((x) => x.t < c.t && x.p !== null && x.p === c.p);
		if (earlier.length) return c.t - earlier[earlier.length - 1]!.t;
		const before = c.p === null ? undefined : earlierFailed.get(c.p);
		return before === undefined ? null : c.t - before;
	};
	const fresh = toDead.filter((c) => usedBefore(c) === null);
	const since = mapOut ?? dead?.at ?? Infinity;
	const late = toDead.filter((c) => c.t >= since).map((c) => ({ t: c.t - faultAt, ms: c.ms, a: c.a, e: c.e, p: c.p, portUsedBefore: usedBefore(c) }));
	const back = conns.filter((c) => c.t >= backAt && c.a === own);
	const healthy = streamsOn(traffic, marks, MARK.isp1);
	const { gapMaxMs: _g, ...onDead } = streamsOn(traffic, marks, MARK.isp2);
	return {
		kind,
		deadLogMs: dead ? dead.at - faultAt : null,
		lastToDeadMs: lastToDead === null ? null : lastToDead - faultAt,
		mapOutMs: mapOut === null ? null : mapOut - faultAt,
		lastToDeadFreshMs: fresh.length ? Math.max(...fresh.map((c) => c.t)) - faultAt : null,
		late,
		...(late.length > 0 || (mapOut !== null && dead !== null && mapOut - dead.at > 100) ? { agentLines: agentLog(master, faultAt).filter((l) => l.at >= faultAt - 5).map((l) => `${l.at - faultAt} ${l.text}`) } : {}),
		toDeadAfterFault: toDead.filter((c) => c.t >= faultAt).length,
		failedAfterDead: dead ? conns.filter((c) => c.t >= dead.at && c.t < backAt && c.a === null).length : -1,
		aliveLogMs: alive ? alive.at - backAt : null,
		mapBackMs: mapBack === null ? null : mapBack - backAt,
		firstBackMs: back.length ? Math.min(...back.map((c) => c.t)) - backAt : null,
		failedAfterReturn: conns.filter((c) => c.t >= backAt && c.a === null).length,
		connections: conns.length,
		healthy,
		onDead,
	};
}

interface ProbePort {
	uplink: string;
	port: string;
	requests: { packets: number; bytes: number };
	replies: { packets: number; bytes: number };
}

/** ICMP echo requests entering each ISP port (from the router) and replies leaving it (to the router) over PROBE_S. */
async function probeTraffic(bed: Testbed): Promise<ProbePort[]> {
	const ports: [string, string, string][] = [
		...bed.routers.map((r) => [bed.ns.isp, r.name, `isp1 (shared WAN) at ${r.name}`] as [string, string, string]),
		...bed.routers.map((r) => [bed.ns.isp2!, `u${r.index}`, `isp2 (own uplink) of ${r.name}`] as [string, string, string]),
	];
	for (const ns of [bed.ns.isp, bed.ns.isp2!]) {
		const mine = ports.filter((p) => p[0] === ns).map((p) => p[1]);
		const chains = mine.map((p) => `chain in_${p} { type filter hook ingress device "${p}" priority 0; icmp type echo-request counter; }\nchain out_${p} { type filter hook egress device "${p}" priority 0; icmp type echo-reply counter; }`);
		nsRun(ns, 'nft', ['-f', '-'], { input: `table netdev probes {\n${chains.join('\n')}\n}\n` });
	}
	await sleep(PROBE_S * 1000);
	const counted = (ns: string, chain: string) => {
		const m = new RegExp(`chain ${chain} \\{[\\s\\S]*?counter packets (\\d+) bytes (\\d+)`).exec(nsRun(ns, 'nft', ['list', 'table', 'netdev', 'probes']).stdout);
		return { packets: Number(m?.[1] ?? -1), bytes: Number(m?.[2] ?? -1) };
	};
	const out = ports.map(([ns, port, uplink]) => ({ uplink, port, requests: counted(ns, `in_${port}`), replies: counted(ns, `out_${port}`) }));
	for (const ns of [bed.ns.isp, bed.ns.isp2!]) nsRun(ns, 'nft', ['delete', 'table', 'netdev', 'probes'], { check: false });
	return out;
}

interface Detection {
	outages: Outage[];
	probes?: ProbePort[];
	error?: string;
}

async function detectionRun(first: boolean): Promise<Detection> {
	const { bed, master } = await pairUp();
	try {
		const probes = first ? await probeTraffic(bed) : undefined;
		const outages: Outage[] = [];
		const failedPorts = new Map<number, number>();
		for (const kind of FAULTS) {
			outages.push(await outage(bed, master, kind, failedPorts));
			await sleep(1000);
		}
		return { outages, ...(probes ? { probes } : {}) };
	} finally {
		await bed.destroy();
	}
}

interface FailoverRun {
	streams: number;
	/** Streams per uplink at the start (the master's conntrack). */
	onIsp1: number;
	onIsp2: number;
	/** The standby held every flow with the master's mark before the crash (conntrackd). */
	standbyMarksMatch: boolean;
	/** The crash -> the VIP and the WAN address on the new master. */
	takeoverMs: number | null;
	/** Survived (the meter's rule: no error, data after the crash and in the last 0.5 s). */
	keptIsp1: number;
	keptIsp2: number;
	/** Survived, the same mark and SNAT address on the new master, and its packets after the crash entered the
	 * ISP of that uplink (and not the other one). */
	keptOnOwnUplinkIsp1: number;
	keptOnOwnUplinkIsp2: number;
	/** Streams whose packets after the crash entered the other ISP than their uplink's. */
	wrongIsp: number;
	resets: number;
	errors: Record<string, number>;
	gapMaxIsp1Ms: number;
	/** Packets of the isp2 streams (r0's address) that the new master sent out after the crash, by ISP port. */
	isp2StreamPacketsAfter: Record<string, number>;
	error?: string;
}

/** Per (source address, port) packet counters at the ISP ports of `node`, for the meter's streams. */
function flowCounters(bed: Testbed, node: RouterNode): () => Record<string, Map<string, number>> {
	const ports = { isp1: [bed.ns.isp, node.name], isp2: [bed.ns.isp2!, `u${node.index}`] } as const;
	for (const [ns, port] of Object.values(ports)) {
		nsRun(ns, 'nft', ['-f', '-'], { input: `table netdev flows {\nset seen { type ipv4_addr . inet_service; size 65535; flags dynamic; counter; }\nchain in { type filter hook ingress device "${port}" priority 0; tcp dport ${STREAM_PORT} update @seen { ip saddr . tcp sport }; }\n}\n` });
	}
	return () => {
		const res: Record<string, Map<string, number>> = {};
		for (const [isp, [ns]] of Object.entries(ports)) {
			const out = nsRun(ns, 'nft', ['list', 'set', 'netdev', 'flows', 'seen'], { check: false }).stdout;
			res[isp] = new Map([...out.matchAll(/([\d.]+) \. (\d+) counter packets (\d+)/g)].map((m) => [`${m[1]}:${m[2]}`, Number(m[3])] as const));
		}
		return res;
	};
}

async function failoverRun(): Promise<FailoverRun> {
	const { bed, master } = await pairUp();
	try {
		const standby = bed.routers.find((r) => r !== master)!;
		const meter = await startMeter(bed, { streams: FO_STREAMS });
		const start = flows(master, STREAM_PORT);
		const standbyMarksMatch = await waitFor('the standby holding every flow with its mark', () => {
			const f = flows(standby, STREAM_PORT);
			return [...start].every(([k, v]) => f.get(k)?.mark === v.mark);
		}, 10_000, 200).catch(() => false);
		await sleep(1000);
		const seen = flowCounters(bed, standby);
		const crashAt = await meter.mark('fault');
		await crash(master, []);
		const took = await waitFor('the standby master with the WAN', () => hasVip(standby) && wanAddr(standby) !== undefined && Date.now(), 20_000, 20).catch(() => null);
		await sleep(8000);
		const end = flows(standby, STREAM_PORT);
		const counts = seen();
		const traffic = await meter.stop();
		const uplinkOf = (mark: number | undefined) => (mark === MARK.isp1 ? 'isp1' : mark === MARK.isp2 ? 'isp2' : 'none');
		let keptOnOwnUplinkIsp1 = 0;
		let keptOnOwnUplinkIsp2 = 0;
		let wrongIsp = 0;
		const isp2StreamPacketsAfter: Record<string, number> = { isp1: 0, isp2: 0 };
		for (const p of traffic.perStream) {
			const s = p.localPort === null ? undefined : start.get(p.localPort);
			if (!s) continue;
			const e = end.get(s.sport);
			const key = `${s.natAddr}:${s.natPort}`;
			const own = uplinkOf(s.mark);
			const other = own === 'isp1' ? 'isp2' : 'isp1';
			const onOwn = counts[own]?.get(key) ?? 0;
			const onOther = counts[other]?.get(key) ?? 0;
			if (onOther > 0) wrongIsp++;
			if (own === 'isp2') {
				isp2StreamPacketsAfter.isp1! += counts.isp1?.get(key) ?? 0;
				isp2StreamPacketsAfter.isp2! += counts.isp2?.get(key) ?? 0;
			}
			const kept = p.survived && e !== undefined && e.mark === s.mark && e.natAddr === s.natAddr && onOwn > 0 && onOther === 0;
			if (kept && own === 'isp1') keptOnOwnUplinkIsp1++;
			if (kept && own === 'isp2') keptOnOwnUplinkIsp2++;
		}
		const byUplink = (u: string) => traffic.perStream.filter((p) => p.localPort !== null && uplinkOf(start.get(p.localPort)?.mark) === u);
		const errors: Record<string, number> = {};
		for (const p of traffic.perStream) if (p.error) errors[p.error] = (errors[p.error] ?? 0) + 1;
		return {
			streams: traffic.perStream.length,
			onIsp1: byUplink('isp1').length,
			onIsp2: byUplink('isp2').length,
			standbyMarksMatch,
			takeoverMs: took === null ? null : took - crashAt,
			keptIsp1: byUplink('isp1').filter((p) => p.survived).length,
			keptIsp2: byUplink('isp2').filter((p) => p.survived).length,
			keptOnOwnUplinkIsp1,
			keptOnOwnUplinkIsp2,
			wrongIsp,
			resets: traffic.tcp.reset,
			errors,
			gapMaxIsp1Ms: Math.max(0, ...byUplink('isp1').map((p) => p.gapMs)),
			isp2StreamPacketsAfter,
		};
	} finally {
		await bed.destroy();
	}
}

// ---- the runs ----
const started = Date.now();
const detections: Detection[] = [];
for (let i = 0; i < RUNS; i++) {
	const r = await detectionRun(i === 0).catch((e: Error) => ({ outages: [], error: e.message }) as Detection);
	detections.push(r);
	log(`uplinks detection run ${i + 1}/${RUNS}: ${JSON.stringify(r)}`);
}
const failovers: FailoverRun[] = [];
for (let i = 0; i < FAILOVER_RUNS; i++) {
	const r = await failoverRun().catch(
		(e: Error) => ({ streams: 0, onIsp1: 0, onIsp2: 0, standbyMarksMatch: false, takeoverMs: null, keptIsp1: 0, keptIsp2: 0, keptOnOwnUplinkIsp1: 0, keptOnOwnUplinkIsp2: 0, wrongIsp: 0, resets: -1, errors: {}, gapMaxIsp1Ms: NaN, isp2StreamPacketsAfter: {}, error: e.message }) as FailoverRun,
	);
	failovers.push(r);
	log(`uplinks failover run ${i + 1}/${FAILOVER_RUNS}: ${JSON.stringify(r)}`);
}

// ---- the report ----
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN;
const nums = (xs: (number | null)[]): number[] => xs.filter((x): x is number => x !== null && Number.isFinite(x));
const stat = (xs: (number | null)[], limit?: number): string => {
	const v = nums(xs);
	if (!v.length) return 'no value';
	const s = `median ${Math.round(median(v))} ms, worst ${Math.round(Math.max(...v))} ms (${v.length} of ${xs.length})`;
	return limit === undefined ? s : `${s}: ${v.length === xs.length && Math.max(...v) <= limit ? 'met' : 'not met'}`;
};
const outs = (kind: FaultKind) => detections.flatMap((d) => d.outages.filter((o) => o.kind === kind));
const detectionRows = (['cable-cut', 'black-hole'] as const).flatMap((kind) => {
	const o = outs(kind);
	const name = kind === 'cable-cut' ? 'cable cut at the ISP' : 'black hole upstream';
	return [
		`| ${name}: fault → "dead after" logged (≤ 1 s) | ${stat(o.map((x) => x.deadLogMs), 1000)} |`,
		`| ${name}: fault → isp2 out of the balance map (nft monitor) | ${stat(o.map((x) => x.mapOutMs))} |`,
		`| ${name}: fault → last new connection sent to the dead uplink (≤ 1 s) | ${stat(o.map((x) => x.lastToDeadMs), 1000)}; ${o.reduce((a, x) => a + x.toDeadAfterFault, 0)} connections after the fault went to it, ${o.reduce((a, x) => a + x.late.length, 0)} of them started after the map change (${o.reduce((a, x) => a + x.late.filter((l) => l.portUsedBefore !== null).length, 0)} on the source port of an earlier connection that failed on a dead uplink) |`,
		`| ${name}: the same, without the connections on a reused source port | ${stat(o.map((x) => x.lastToDeadFreshMs), 1000)} |`,
		`| ${name}: return → "alive after" logged | ${stat(o.map((x) => x.aliveLogMs))} |`,
		`| ${name}: return → isp2 back in the balance map | ${stat(o.map((x) => x.mapBackMs))} |`,
		`| ${name}: return → first new connection by isp2 again | ${stat(o.map((x) => x.firstBackMs))}; ${o.reduce((a, x) => a + x.failedAfterReturn, 0)} failed after the return |`,
	];
});
const healthyRow = (kind: FaultKind) => {
	const o = outs(kind);
	const n = o.reduce((a, x) => a + x.healthy.streams, 0);
	const kept = o.reduce((a, x) => a + x.healthy.survived, 0);
	const resets = o.reduce((a, x) => a + x.healthy.resets, 0);
	const gap = Math.max(0, ...o.map((x) => x.healthy.gapMaxMs));
	const ok = o.length > 0 && kept === n && resets === 0 && gap <= 100;
	return `| ${kind === 'cable-cut' ? 'cable cut' : 'black hole'} and return: streams on isp1 (0 resets, no gap > 0.1 s) | ${kept} of ${n} kept, ${resets} resets, largest gap ${gap} ms (median of the runs' largest ${median(o.map((x) => x.healthy.gapMaxMs))} ms): ${ok ? 'met' : 'not met'} |`;
};
const fo = failovers.filter((f) => !f.error);
const sum = (f: (x: FailoverRun) => number) => fo.reduce((a, x) => a + f(x), 0);
const probes = detections.find((d) => d.probes)?.probes ?? [];
const probeRows = probes.map((p) => {
	const per = (c: { packets: number; bytes: number }) => `${(c.packets / PROBE_S).toFixed(1)} packets/s, ${Math.round(c.bytes / PROBE_S)} B/s (${c.packets ? Math.round(c.bytes / c.packets) : 0} B each as counted)`;
	// Frames on the wire: the ingress count plus the Ethernet header it does not include.
	const frames = (p.requests.bytes + 14 * p.requests.packets + p.replies.bytes) / PROBE_S;
	return `| ${p.uplink} (ISP port ${p.port}) | ${per(p.requests)} | ${per(p.replies)} | ${Math.round(frames)} B/s |`;
});
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
writeReport(OUT, [
	'# Several WANs (issue 14)',
	'',
	`Generated by \`make bench\` (test/bench/uplinks.ts) on ${new Date().toISOString()}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ${minutes} min. ` +
		`The linux platform on \`createTestbed({ uplinks: true, secondIsp: true })\`: each router with the shared WAN (uplink isp1) and its own line to a ` +
		`second ISP (uplink isp2, 192.0.2.0/24), weights 1 : 1, track_ip the internet server, the probe defaults (probe_interval 200 ms, down 3, up 3, probe_size 56).`,
	'',
	`## Dead uplink: detection and new connections (${RUNS} runs per fault)`,
	'',
	`A new connection from the LAN every ${CONN_MS} ms, each answered with the source address the server saw; a connection without an answer within ` +
		`${CONN_TIMEOUT_MS} ms counts as sent to the dead uplink. The fault on the master's isp2 line; times from the fault's command (the log's own timestamps ` +
		`for the agent's lines; the connection's start time for the connections: their resolution is the time between two picks of isp2, ${2 * CONN_MS} ms on average). Each run: a fresh pair, the cable cut and its return, then the black hole and its return. ` +
		`When isp2 leaves the balance the agent forgets its TCP attempts still unanswered (SYN_SENT), so a connection the client started on it before ` +
		`the map change is answered by isp1 after the client's first SYN retransmission (1 s), within the ${CONN_TIMEOUT_MS} ms: it counts as served, late, not as sent to the dead uplink.`,
	'',
	...(detections.some((d) => d.outages.some((o) => o.late.some((l) => l.portUsedBefore !== null)))
		? [
				"Some connections went to the dead uplink long after the map change: each on the source port of an earlier connection that had " +
					'failed on the dead uplink (`late` in the per-run data, with how long before). The client\'s kernel gives a port back soon; the new SYN ' +
					"meets the earlier connection's unanswered conntrack entry (SYN_SENT, kept 120 s) and keeps its uplink mark (and SNAT), whatever the maps say. " +
					'The row "without the connections on a reused source port" leaves those out.',
			]
		: []),
	'',
	'| target | result |',
	'|---|---|',
	...detectionRows,
	'',
	`## Streams on the healthy uplink (${STREAMS} streams balanced over both, the ones on isp1 counted)`,
	'',
	'| target | result |',
	'|---|---|',
	healthyRow('cable-cut'),
	healthyRow('black-hole'),
	'',
	`## Failover with streams on both uplinks (${FAILOVER_RUNS} runs, ${FO_STREAMS} streams, the master crashed)`,
	'',
	"The shared WAN's address moves to the new master, and conntrackd carries each flow's uplink mark (and SNAT) with it: those streams can keep their uplink. " +
		"A stream on the crashed master's own isp2 line was SNATed to that router's address (192.0.2.10); the new master's isp2 line has another " +
		'address (192.0.2.11) and no router answers for 192.0.2.10 any more, so such a stream cannot survive: 100 % of 200 on their original uplinks is not physically possible here. ' +
		"Kept on its uplink: survived, the same mark and SNAT address on the new master, and after the crash its packets entered that uplink's ISP only.",
	'',
	'| target | result |',
	'|---|---|',
	`| streams on the shared WAN kept, each on the shared WAN (100 %) | ${sum((x) => x.keptOnOwnUplinkIsp1)} of ${sum((x) => x.onIsp1)} (survived: ${sum((x) => x.keptIsp1)}; largest gap ${Math.max(0, ...fo.map((x) => x.gapMaxIsp1Ms))} ms): ${fo.length === FAILOVER_RUNS && sum((x) => x.keptOnOwnUplinkIsp1) === sum((x) => x.onIsp1) ? 'met' : 'not met'} |`,
	`| streams on the crashed master's own isp2 kept (not possible, see above) | ${sum((x) => x.keptIsp2)} of ${sum((x) => x.onIsp2)} survived; ${sum((x) => x.keptOnOwnUplinkIsp2)} on isp2 |`,
	`| all ${FO_STREAMS} streams kept, each on its original uplink (100 %) | ${sum((x) => x.keptOnOwnUplinkIsp1 + x.keptOnOwnUplinkIsp2)} of ${sum((x) => x.onIsp1 + x.onIsp2)}: ${sum((x) => x.keptOnOwnUplinkIsp1 + x.keptOnOwnUplinkIsp2) === sum((x) => x.onIsp1 + x.onIsp2) && fo.length === FAILOVER_RUNS ? 'met' : 'not met'} |`,
	`| streams whose packets took the other ISP after the crash | ${sum((x) => x.wrongIsp)} |`,
	`| resets | ${sum((x) => Math.max(0, x.resets))} |`,
	`| crash → VIP and WAN on the new master | ${stat(failovers.map((x) => x.takeoverMs))} |`,
	`| runs that could not run | ${failovers.length - fo.length} of ${FAILOVER_RUNS} |`,
	'',
	`## Probe traffic at the default setting (one target per uplink, ${PROBE_S} s, nothing else running)`,
	'',
	'nft counters on the ISPs\' ports: echo requests at ingress (from the router), echo replies at egress (to the router). The netdev ingress hook counts ' +
		'the IP packet (the Ethernet header already pulled), egress the whole frame: an echo with 56 bytes of payload is 84 bytes of IP, 98 bytes of ' +
		'Ethernet frame (without preamble and FCS). The backup has no shared WAN address, so it probes only its own uplink.',
	'',
	'| uplink (one target) | echo requests | echo replies | both ways, Ethernet frames |',
	'|---|---|---|---|',
	...probeRows,
	'',
	`Detection runs that could not run: ${detections.filter((d) => d.error).length} of ${RUNS}.`,
], [...detections, ...failovers]);
