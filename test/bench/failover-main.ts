// The long failover benchmark: every scenario, >= 200 TCP streams, one column per stack: baseline, the previous
// design (ha-router before keepalived carried the WAN, built from an older commit), ha-router on its linux platform,
// openwrt = ha-router on its openwrt platform. The scenarios the issues set targets for run --runs times (vrrp-flap
// --runs-flap times; median and worst against the targets); the others once.
// Run with `node test/bench/failover.mjs [--runs 20] [--runs-flap 5] [--flap-ms 60000] [--streams 200]
// [--scenarios a,b] [--skip c,d] [--stacks baseline,previous,ha-router,openwrt] [--previous <rev>]
// [--out bench/results.md]`. Prints a markdown table per scenario and writes bench/results.md (+ .json with every run).
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seedStack } from '../e2e/baseline/seed.ts';
import { BUNDLE } from '../support/tjs.ts';
import { haRouterStack } from '../e2e/lib/ha-router-node.ts';
import { openwrtStack } from '../e2e/lib/openwrt-node.ts';
import { PREVIOUS_NAME, PREVIOUS_REV, buildPrevious, previousStack, removePrevious, type PreviousTree } from '../e2e/lib/previous-node.ts';
import { SCENARIOS, SCENARIO_TEXT, runScenario, type Scenario, type ScenarioResult } from '../e2e/lib/scenarios.ts';
import type { Stack } from '../e2e/lib/stack.ts';
import { summary } from '../e2e/lib/traffic.ts';
import { arg } from './args.ts';

/** vrrp-flap: how long the VRRP link flaps (cut 2 s, healed 2 s, ...). */
const FLAP_MS = Number(arg('flap-ms') ?? 60_000);
/** split_brain_damping's default: a flapping link may move the role once per interval. */
const DAMPING_MS = 30_000;

function version(cmd: string, args: string[], re: RegExp): string {
	// keepalived prints its version on stderr.
	const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 5_000 });
	return re.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`)?.[1] ?? '?';
}

function machine(): string {
	const cpu = os.cpus()[0]?.model ?? '?';
	return [
		`${os.cpus().length} × ${cpu}`,
		`${Math.round(os.totalmem() / 2 ** 30)} GiB`,
		`Linux ${os.release()}`,
		`keepalived ${version('keepalived', ['-v'], /Keepalived v(\d+(?:\.\d+)*)/)}`,
		`conntrackd ${version('conntrackd', ['-v'], /v(\d+(?:\.\d+)*)/)}`,
		`node ${process.version}`,
	].join(', ');
}

/** The commit measured, taken at the start (the bundle is built from the tree then); says so if src/ or files/ differ. */
function gitHead(): string {
	const r = spawnSync('git', ['log', '-1', '--format=%h (%cI)'], { encoding: 'utf8', timeout: 5_000 });
	const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src', 'files'], { encoding: 'utf8', timeout: 5_000 }).stdout?.trim();
	return `${r.stdout?.trim() || '?'}${dirty ? ', with uncommitted changes in src/ or files/' : ''}`;
}
const HEAD = gitHead();

function bundleStamp(file: string, name: string): string {
	try {
		const st = statSync(file);
		return `${name} built ${st.mtime.toISOString()}, ${st.size} bytes`;
	} catch {
		return `${name} missing`;
	}
}

/** One run of a scenario on one stack: its result, or why it failed. */
interface Run {
	result?: ScenarioResult;
	error?: string;
}

interface Col {
	stack: string;
	/** Why the stack was not run here at all (no runs then). */
	notRun?: string;
	runs: Run[];
}

const oneLine = (s: string, max = 300): string => s.replace(/\s+/g, ' ').replace(/\|/g, '/').slice(0, max);

// A single run: the rows as they always were.
type Row = [string, (r: ScenarioResult) => string];
const ms = (x: number | undefined): string => (x === undefined ? '–' : String(Math.round(x)));
const ROWS: Row[] = [
	['TCP streams kept', (r) => (r.traffic ? `${r.traffic.tcp.survived}/${r.traffic.tcp.streams}` : '–')],
	['TCP resets seen by client', (r) => (r.traffic ? String(r.traffic.tcp.reset) : '–')],
	['TCP largest gap, ms (max / p50 of streams)', (r) => (r.traffic ? `${ms(r.traffic.tcp.gapMaxMs)} / ${ms(r.traffic.tcp.gapP50Ms)}` : '–')],
	['TCP bytes lost / mismatched', (r) => (r.traffic ? `${r.traffic.tcp.bytesLost} / ${r.traffic.tcp.bytesMismatched}` : '–')],
	['UDP loss %, largest gap ms', (r) => (r.traffic ? `${r.traffic.udp.lossPct} %, ${ms(r.traffic.udp.gapMaxMs)}` : '–')],
	['ping loss %, largest gap ms', (r) => (r.traffic ? `${r.traffic.ping.lossPct} %, ${ms(r.traffic.ping.gapMaxMs)}` : '–')],
	['master before → after', (r) => `${r.masterBefore ?? '–'} → ${r.masterAfter ?? '–'}`],
	['time to MASTER, ms', (r) => ms(r.timeToMasterMs)],
	['time to WAN address, ms', (r) => ms(r.timeToWanMs)],
	['streams in the new master\'s conntrack at takeover', (r) => (r.flowsAtTakeover === undefined ? '–' : String(r.flowsAtTakeover))],
	['WAN address before → after', (r) => `${r.wanBefore ?? '–'} → ${r.wanAfter ?? '–'}`],
	['two masters, ms', (r) => ms(r.doubleMasterMs)],
	['WAN up on (end)', (r) => r.wanHolders.join(', ') || 'none'],
	['LAN DHCP on (end; most at once)', (r) => `${r.roleHolders.join(', ') || 'none'}; ${r.roleHoldersMax}`],
	['VIP local route on (end)', (r) => r.vipLocalRoutes.join(', ') || 'none'],
	['notes', (r) => r.notes.join('; ').replace(/\|/g, '/') || ''],
];

// Repeated runs: median and worst of each figure, then each target met or missed by how much.
type Metric = (r: ScenarioResult) => number | undefined;
type RunsRow = [string, (runs: Run[]) => string];

const done = (runs: Run[]): ScenarioResult[] => runs.flatMap((r) => (r.result ? [r.result] : []));

function median(xs: number[]): number {
	const s = [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)); // a - b is NaN for two Infinity
	const m = s.length >> 1;
	return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const round = (x: number, digits: number): string => String(Math.round(x * 10 ** digits) / 10 ** digits);

/** "median / worst" (worst = largest) over the runs that measured it, "(of n)" when some did not. */
function spread(f: Metric, digits = 0): RunsRow[1] {
	return (runs) => {
		const xs = done(runs).flatMap((r) => (f(r) === undefined ? [] : [f(r)!]));
		if (!xs.length) return '–';
		const of = xs.length < runs.length ? ` (of ${xs.length})` : '';
		return `${round(median(xs), digits)} / ${round(Math.max(...xs), digits)}${of}`;
	};
}

/** Median and worst against a limit. A failed run, or one without the figure, misses: counted, never dropped. */
function target(f: Metric, limit: number, unit: string): RunsRow[1] {
	const verdict = (x: number): string => (x <= limit ? 'met' : x === Infinity ? 'missed (failed run)' : `missed by ${Math.round(x - limit)} ${unit}`);
	return (runs) => {
		const xs = runs.map((r) => (r.result && f(r.result)) ?? Infinity);
		return `${verdict(median(xs))} / ${verdict(Math.max(...xs))}`;
	};
}

function runsCount(runs: Run[]): string {
	const failed = runs.filter((r) => !r.result);
	return failed.length ? `${runs.length}, ${failed.length} failed: ${oneLine(failed[0]!.error ?? '?', 200)}` : `${runs.length}, 0 failed`;
}

/** Worst run's kept streams / total; how many runs kept them all. */
function streamsKept(runs: Run[]): string {
	const t = done(runs).flatMap((r) => (r.traffic ? [r.traffic.tcp] : []));
	if (!t.length) return '–';
	const worst = t.reduce((a, b) => (b.survived < a.survived ? b : a));
	return `${worst.survived}/${worst.streams}; all kept in ${t.filter((x) => x.survived === x.streams).length} of ${runs.length} runs`;
}

/** Each distinct note once, with the number of runs that had it. */
function notes(runs: Run[]): string {
	const n = new Map<string, number>();
	for (const r of done(runs)) for (const x of new Set(r.notes)) n.set(x, (n.get(x) ?? 0) + 1);
	return oneLine([...n].map(([x, k]) => `${x} (${k}×)`).join('; '), 600);
}

const tcpGap: Metric = (r) => r.traffic?.tcp.gapMaxMs;
const udpGap: Metric = (r) => r.traffic?.udp.gapMaxMs;
const pingGap: Metric = (r) => r.traffic?.ping.gapMaxMs;
const udpLost: Metric = (r) => r.traffic && r.traffic.udp.sent - r.traffic.udp.received;
const pingsLost: Metric = (r) => r.traffic && r.traffic.ping.sent - r.traffic.ping.received;
const lostStreams: Metric = (r) => r.traffic && r.traffic.tcp.streams - r.traffic.tcp.survived;
const resets: Metric = (r) => r.traffic?.tcp.reset;
/** Times the node that was not master before got the VIP after the fault mark. */
const standbyGains: Metric = (r) => r.masterBefore === undefined ? undefined : r.vipEvents.filter((e) => e.node !== r.masterBefore && e.has && e.ms >= 0).length;

/** An issue's target: a figure of each run and the most it may be. */
interface Target {
	text: string;
	metric: Metric;
	limit: number;
	unit: string;
}
const t = (text: string, metric: Metric, limit: number, unit: string): Target => ({ text, metric, limit, unit });
const KEPT = t('all streams kept', lostStreams, 0, 'streams');
const NO_RESET = t('0 resets', resets, 0, 'resets');
const FAILOVER = [t('TCP largest gap ≤ 300 ms', tcpGap, 300, 'ms'), t('UDP largest gap ≤ 200 ms', udpGap, 200, 'ms'), t('ping largest gap ≤ 200 ms', pingGap, 200, 'ms'), KEPT, NO_RESET];
const FLAP_GAINS = Math.ceil(FLAP_MS / DAMPING_MS);

/** The scenarios the issues set targets for, and their targets. These run repeatedly, to see the spread and not one
 * lucky run. */
const TARGETS: Partial<Record<Scenario, Target[]>> = {
	'master-crash': FAILOVER,
	'master-lan-fault': FAILOVER,
	'planned-switchover': [t('TCP largest gap ≤ 50 ms', tcpGap, 50, 'ms'), t('0 UDP datagrams lost', udpLost, 0, 'datagrams'), t('0 pings lost', pingsLost, 0, 'pings'), KEPT, NO_RESET],
	'vrrp-flap': [t(`standby VIP gains ≤ ${FLAP_GAINS} in ${FLAP_MS / 1000} s`, standbyGains, FLAP_GAINS, 'gains'), NO_RESET, KEPT],
};
const REPEATED = Object.keys(TARGETS) as Scenario[];

const RUNS_ROWS: RunsRow[] = [
	['runs', runsCount],
	['TCP streams kept (worst run)', streamsKept],
	['TCP resets seen by client (all runs)', (runs) => String(done(runs).reduce((n, r) => n + (r.traffic?.tcp.reset ?? 0), 0))],
	['TCP largest gap, ms (median / worst)', spread(tcpGap)],
	['UDP largest gap, ms (median / worst)', spread(udpGap)],
	['UDP loss, % (median / worst)', spread((r) => r.traffic?.udp.lossPct, 2)],
	['UDP datagrams lost (median / worst)', spread(udpLost)],
	['ping largest gap, ms (median / worst)', spread(pingGap)],
	['ping loss, % (median / worst)', spread((r) => r.traffic?.ping.lossPct, 2)],
	['pings lost (median / worst)', spread(pingsLost)],
	['time to MASTER, ms (median / worst)', spread((r) => r.timeToMasterMs)],
	['time to WAN address, ms (median / worst)', spread((r) => r.timeToWanMs)],
	['two masters, ms (median / worst)', spread((r) => r.doubleMasterMs)],
	['standby VIP gains (median / worst)', spread(standbyGains)],
];

/** The figures, the scenario's targets, the notes. */
const runsRows = (scenario: Scenario): RunsRow[] => [
	...RUNS_ROWS,
	...(TARGETS[scenario] ?? []).map((x): RunsRow => [`target: ${x.text} (median / worst)`, target(x.metric, x.limit, x.unit)]),
	['notes (runs with it)', notes],
];

/** How many times a scenario runs per stack. */
const roundsOf = (scenario: Scenario, o: { runs: number; runsFlap: number }): number => (scenario === 'vrrp-flap' ? o.runsFlap : REPEATED.includes(scenario) ? o.runs : 1);

function table(scenario: Scenario, cols: Col[], runs: number): string {
	const head = `| ${SCENARIO_TEXT[scenario]} | ${cols.map((c) => c.stack).join(' | ')} |\n|---|${cols.map(() => '---').join('|')}|\n`;
	const repeated = REPEATED.includes(scenario);
	// A stack not run, or a single run that failed, says why in the first row only.
	const why = (c: Col, first: boolean): string => (first ? oneLine(c.notRun ?? c.runs[0]?.error ?? 'n/a') : '–');
	const single = (c: Col, f: Row[1], first: boolean): string => (c.runs[0]?.result ? f(c.runs[0].result) : why(c, first));
	const many = (c: Col, f: RunsRow[1], first: boolean): string => (c.notRun ? why(c, first) : f(c.runs));
	const body = repeated
		? runsRows(scenario).map(([name, f], i) => `| ${name} | ${cols.map((c) => many(c, f, i === 0)).join(' | ')} |`)
		: ROWS.map(([name, f], i) => `| ${name} | ${cols.map((c) => single(c, f, i === 0)).join(' | ')} |`);
	return `### ${scenario}${repeated ? ` (${runs} runs)` : ''}\n\n${head}${body.join('\n')}\n`;
}

function header(o: { started: Date; streams: number; runs: number; runsFlap: number; scenarios: Scenario[]; previous?: PreviousTree | string }): string {
	const repeated = o.scenarios.filter((s) => REPEATED.includes(s));
	const times = repeated.map((s) => `${s} ${roundsOf(s, o)}`).join(', ') || 'none';
	const targets = repeated.map((s) => `- ${s}: ${TARGETS[s]!.map((x) => x.text).join(', ')}`).join('\n');
	const prev = o.previous === undefined ? 'not run' : typeof o.previous === 'string' ? `not built: ${oneLine(o.previous)}` : `${o.previous.rev}, its ${bundleStamp(o.previous.bundle, 'dist/ha-router.js')}`;
	return `# Failover benchmark

Generated by \`node test/bench/failover.mjs\` on ${o.started.toISOString()} (${Math.round((Date.now() - o.started.getTime()) / 1000)} s).

Machine: ${machine()}.

Code: repo HEAD ${HEAD} at the start; ha-router bundle ${bundleStamp(BUNDLE, 'dist/ha-router.js')}; previous design ${prev}.

Each scenario runs on a fresh emulated testbed (network namespaces: ISP bridge + dnsmasq, "internet" server, two
routers, LAN switch, one client; see docs/testbed.md). Traffic: ${o.streams} long-lived TCP echo streams (a 16-byte
sequence-numbered record every 20 ms each, checked byte for byte), one UDP echo stream (every 10 ms) and a ping
(every 20 ms) from the LAN client to the server, measured from 2 s before the fault until 6 s after the new master
has its WAN address. A gap is the time between two receipts on one stream (a dead stream's gap runs to the end).
A stream is kept if it delivers in-order data after the fault, to the end, with no reset. Datagrams and pings lost
are sent − received over the meter's whole run. planned-switchover: baseline lowers the master's priority in
keepalived.conf and reloads keepalived, the others run \`ha-router switchover\` on the master. vrrp-flap: the
standby's VRRP link is cut for 2 s and healed for 2 s, for ${FLAP_MS / 1000} s, then the traffic runs 1 s + 4 advert
intervals + 6 s more; standby VIP gains counts the times the node that was not master got the VIP after the fault
(split_brain_damping, default ${DAMPING_MS / 1000} s, allows one role change per interval).

Runs per stack: ${times} (a fresh testbed each time, the stacks taking turns run by run so that a slow spell of the
machine hits them alike); every other scenario runs once. For the repeated ones a figure reads "median / worst" over
the runs (worst = the largest; "(of n)" when only n runs measured it), streams kept is the worst run's, resets are
summed over all runs, and a failed run is counted in the "runs" row. Each target row says "met" or "missed by" how
much, for the median and for the worst run (a failed run misses every target). The .json next to this file has every
run. Targets (from the issues):

${targets}

Stacks: baseline = the seed-style pair (keepalived advert_int 1, primary-backup.sh hook, conntrackd FTFW, udhcpc on
the shared-MAC macvlan, masquerade). previous (hook WAN) = ha-router as of the commit above, the last before
keepalived carried the WAN: keepalived's notify hook starts udhcpc on the new master, whose lease script sets the WAN
address and default route (built from that commit's tree, run exactly as the ha-router column, without the lease
watcher it did not have; \`lib/previous-node.ts\`). ha-router = the bundle on its linux platform (iproute2, udhcpc,
per-node init scripts), keepalived carrying the lease address and default route on a macvlan kept up on both nodes.
openwrt = the same bundle on its openwrt platform: each router is a stock OpenWrt stand-in (test/openwrt: ubus,
procd, rpcd rc, netifd and fw4 stand-ins, OpenWrt-style init scripts for keepalived, conntrackd, dnsmasq, odhcpd)
with the .ipk installed by the opkg driver and booted through /etc/rc.d; role services dnsmasq and odhcpd
(\`lib/openwrt-node.ts\`).
`;
}

/** Runs one scenario on every stack, `rounds` rounds, each round every stack once. */
async function runColumns(scenario: Scenario, stacks: Stack[], rounds: number, streams: number, log: (s: string) => void): Promise<Col[]> {
	const cols: Col[] = stacks.map((s) => {
		const why = s.unavailable();
		return why ? { stack: s.name, runs: [], notRun: `not run: ${why}` } : { stack: s.name, runs: [] };
	});
	for (let i = 0; i < rounds; i++) {
		for (const [k, stack] of stacks.entries()) {
			const col = cols[k]!;
			if (col.notRun) continue;
			if (rounds > 1) log(`${stack.name} ${scenario}: run ${i + 1}/${rounds}`);
			try {
				col.runs.push({ result: await runScenario(stack, scenario, { streams, flapMs: FLAP_MS, log }) });
			} catch (e) {
				log(`${stack.name} ${scenario} failed: ${(e as Error).stack ?? String(e)}`);
				col.runs.push({ error: (e as Error).message });
			}
		}
	}
	return cols;
}

/** Builds the previous design's tree, and removes it however the process ends. */
function preparePrevious(rev: string, log: (s: string) => void): PreviousTree | string {
	log(`building the previous design (${rev})`);
	try {
		const tree = buildPrevious(rev);
		process.on('exit', () => removePrevious(tree.dir));
		// A signal would end the process without 'exit': turn it into an exit.
		for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
		log(`previous design ${tree.rev} built in ${tree.dir}`);
		return tree;
	} catch (e) {
		log(`previous design: ${(e as Error).message}`);
		return `build of ${rev} failed: ${(e as Error).message}`;
	}
}

async function main(): Promise<void> {
	const streams = Number(arg('streams') ?? 200);
	const runs = Number(arg('runs') ?? 20);
	const runsFlap = Number(arg('runs-flap') ?? 5);
	for (const [name, x] of [['runs', runs], ['runs-flap', runsFlap], ['flap-ms', FLAP_MS]] as const) {
		if (!(Number.isInteger(x) && x >= 1)) throw new Error(`--${name} wants a positive integer, not ${arg(name)}`);
	}
	const skip = arg('skip')?.split(',') ?? [];
	const scenarios = (arg('scenarios')?.split(',') ?? [...SCENARIOS]).filter((s) => !skip.includes(s)) as Scenario[];
	for (const s of [...scenarios, ...skip]) if (!SCENARIOS.includes(s as Scenario)) throw new Error(`unknown scenario ${s}; known: ${SCENARIOS.join(', ')}`);
	// A stack is chosen by its name or its first word ("previous").
	const wanted = arg('stacks')?.split(',');
	const chosen = (name: string): boolean => !wanted || wanted.includes(name) || wanted.includes(name.split(' ')[0]!);
	const out = arg('out') ?? 'bench/results.md';
	const log = (s: string): void => void process.stderr.write(`${new Date().toISOString()} ${s}\n`);
	const started = new Date();
	const previous = chosen(PREVIOUS_NAME) ? preparePrevious(arg('previous') ?? PREVIOUS_REV, log) : undefined;
	const stacks = [seedStack, ...(previous === undefined ? [] : [previousStack(previous)]), haRouterStack, openwrtStack].filter((s) => chosen(s.name));
	const results: Record<string, Col[]> = {};
	const sections: string[] = [];
	for (const scenario of scenarios) {
		const rounds = roundsOf(scenario, { runs, runsFlap });
		const cols = await runColumns(scenario, stacks, rounds, streams, log);
		results[scenario] = cols;
		const section = table(scenario, cols, rounds);
		sections.push(section);
		process.stdout.write(`${section}\n`);
		// Written after every scenario: an hour-long run that dies late keeps what it measured.
		const o = { started, streams, runs, runsFlap, scenarios, previous };
		write(out, `${header(o)}\n${sections.join('\n')}`, { ...o, results });
	}
	log(`wrote ${out}`);
}

function write(out: string, md: string, o: { started: Date; streams: number; runs: number; runsFlap: number; previous?: PreviousTree | string; results: Record<string, Col[]> }): void {
	mkdirSync(path.dirname(out), { recursive: true });
	writeFileSync(out, md);
	const slim = (r: Run) => ({ ...r, result: r.result && { ...r.result, traffic: r.result.traffic && summary(r.result.traffic) } });
	const results = Object.fromEntries(Object.entries(o.results).map(([k, cols]) => [k, cols.map((c) => ({ ...c, runs: c.runs.map(slim) }))]));
	const previous = typeof o.previous === 'object' ? o.previous.rev : o.previous;
	const targets = Object.fromEntries(Object.entries(TARGETS).map(([k, ts]) => [k, ts.map(({ text, limit, unit }) => ({ text, limit, unit }))]));
	const json = { date: o.started.toISOString(), machine: machine(), streams: o.streams, runs: o.runs, runsFlap: o.runsFlap, flapMs: FLAP_MS, repeated: REPEATED, targets, previous, results };
	writeFileSync(out.replace(/\.md$/, '.json'), `${JSON.stringify(json, null, '\t')}\n`);
}

// Exit explicitly: a child's stdio or a watcher left open must not keep a finished benchmark alive.
await main().then(
	() => process.exit(0),
	(e: unknown) => {
		process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
		process.exit(1);
	},
);
