// The long failover benchmark: every scenario, >= 200 TCP streams, one column per stack (baseline, ha-router on its
// linux platform, openwrt = ha-router on its openwrt platform).
// Run with `node test/bench/failover.mjs [--streams 200] [--scenarios a,b] [--stacks baseline,ha-router,openwrt]
// [--out bench/results.md]`. Prints a markdown table per scenario and writes bench/results.md (+ .json).
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seedStack } from '../e2e/baseline/seed.ts';
import { BUNDLE } from '../support/tjs.ts';
import { haRouterStack } from '../e2e/lib/ha-router-node.ts';
import { openwrtStack } from '../e2e/lib/openwrt-node.ts';
import { SCENARIOS, SCENARIO_TEXT, runScenario, type Scenario, type ScenarioResult } from '../e2e/lib/scenarios.ts';
import type { Stack } from '../e2e/lib/stack.ts';
import { summary } from '../e2e/lib/traffic.ts';

const STACKS: Stack[] = [seedStack, haRouterStack, openwrtStack];

function arg(name: string): string | undefined {
	const i = process.argv.indexOf(`--${name}`);
	return i >= 0 ? process.argv[i + 1] : undefined;
}

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

function gitHead(): string {
	const r = spawnSync('git', ['log', '-1', '--format=%h (%cI)'], { encoding: 'utf8', timeout: 5_000 });
	return r.stdout?.trim() || '?';
}

function bundleStamp(): string {
	try {
		const st = statSync(BUNDLE);
		return `dist/ha-router.js built ${st.mtime.toISOString()}, ${st.size} bytes`;
	} catch {
		return 'dist/ha-router.js missing';
	}
}

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

interface Col {
	stack: string;
	result?: ScenarioResult;
	error?: string;
}

function table(scenario: Scenario, cols: Col[]): string {
	const head = `| ${SCENARIO_TEXT[scenario]} | ${cols.map((c) => c.stack).join(' | ')} |\n|---|${cols.map(() => '---').join('|')}|\n`;
	const cell = (c: Col, f: Row[1], first: boolean): string => {
		if (c.result) return f(c.result);
		return first ? (c.error ?? 'n/a').replace(/\s+/g, ' ').replace(/\|/g, '/').slice(0, 300) : '–';
	};
	const body = ROWS.map(([name, f], i) => `| ${name} | ${cols.map((c) => cell(c, f, i === 0)).join(' | ')} |`).join('\n');
	return `### ${scenario}\n\n${head}${body}\n`;
}

async function main(): Promise<void> {
	const streams = Number(arg('streams') ?? 200);
	const scenarios = (arg('scenarios')?.split(',') ?? [...SCENARIOS]) as Scenario[];
	for (const s of scenarios) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}; known: ${SCENARIOS.join(', ')}`);
	const wanted = arg('stacks')?.split(',') ?? STACKS.map((s) => s.name);
	const out = arg('out') ?? 'bench/results.md';
	const stacks = STACKS.filter((s) => wanted.includes(s.name));
	const log = (s: string): void => void process.stderr.write(`${new Date().toISOString()} ${s}\n`);
	const started = new Date();
	const results: Record<string, Col[]> = {};
	const sections: string[] = [];
	for (const scenario of scenarios) {
		const cols: Col[] = [];
		for (const stack of stacks) {
			const why = stack.unavailable();
			if (why) {
				cols.push({ stack: stack.name, error: `not run: ${why}` });
				continue;
			}
			try {
				const r = await runScenario(stack, scenario, { streams, log });
				cols.push({ stack: stack.name, result: r });
			} catch (e) {
				log(`${stack.name} ${scenario} failed: ${(e as Error).stack ?? String(e)}`);
				cols.push({ stack: stack.name, error: (e as Error).message });
			}
		}
		results[scenario] = cols;
		const t = table(scenario, cols);
		sections.push(t);
		process.stdout.write(`${t}\n`);
	}
	const md = `# Failover benchmark

Generated by \`node test/bench/failover.mjs\` on ${started.toISOString()} (${Math.round((Date.now() - started.getTime()) / 1000)} s).

Machine: ${machine()}.

Code: repo HEAD ${gitHead()}; ha-router bundle ${bundleStamp()}.

Each scenario runs on a fresh emulated testbed (network namespaces: ISP bridge + dnsmasq, "internet" server, two
routers, LAN switch, one client; see docs/testbed.md). Traffic: ${streams} long-lived TCP echo streams (a 16-byte
sequence-numbered record every 20 ms each, checked byte for byte), one UDP echo stream (every 10 ms) and a ping
(every 20 ms) from the LAN client to the server, measured from 2 s before the fault until 6 s after the new master
has its WAN address. A gap is the time between two receipts on one stream (a dead stream's gap runs to the end).
A stream is kept if it delivers in-order data after the fault, to the end, with no reset. baseline = the seed-style
pair (keepalived advert_int 1, primary-backup.sh hook, conntrackd FTFW, udhcpc on the shared-MAC macvlan, masquerade).
ha-router = the bundle on its linux platform (iproute2, udhcpc, per-node init scripts). openwrt = the same bundle on
its openwrt platform: each router is a stock OpenWrt stand-in (test/openwrt: ubus, procd, rpcd rc, netifd and fw4
stand-ins, OpenWrt-style init scripts for keepalived, conntrackd, dnsmasq, odhcpd) with the .ipk installed by the
opkg driver and booted through /etc/rc.d; role services dnsmasq and odhcpd (\`lib/openwrt-node.ts\`).

${sections.join('\n')}`;
	mkdirSync(path.dirname(out), { recursive: true });
	writeFileSync(out, md);
	const json = Object.fromEntries(
		Object.entries(results).map(([k, cols]) => [k, cols.map((c) => ({ ...c, result: c.result && { ...c.result, traffic: c.result.traffic && summary(c.result.traffic) } }))]),
	);
	writeFileSync(out.replace(/\.md$/, '.json'), `${JSON.stringify({ date: started.toISOString(), machine: machine(), streams, results: json }, null, '\t')}\n`);
	log(`wrote ${out}`);
}

// Exit explicitly: a child's stdio or a watcher left open must not keep a finished benchmark alive.
await main().then(
	() => process.exit(0),
	(e: unknown) => {
		process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
		process.exit(1);
	},
);
