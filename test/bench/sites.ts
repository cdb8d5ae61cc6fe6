// Sites with one client subnet against issue 15's targets (root only): a pair with 16 sites (numbers 10..25), every one
// with the client subnet 10.0.0.0/24 and the same client address, and a service on a VIP balanced to two backends on
// the LAN. Per run:
//   1. `ha-router apply` of the 16 sites timed on the standby (the site sections taken out and applied, then put back
//      and the timed apply), with `nft monitor` counting the kernel transactions (new generations) it makes and the
//      rules it adds; then the live table, `ip rule` and the site tables are counted.
//   2. 50 long-lived connections per site to the service, all from the same client address and the SAME port set at
//      every site (41000..41049), so every 5-tuple arrives 16 times; each line carries its site and connection and
//      must come back to exactly that connection. Served: connected, and the backend saw the site's own mapped
//      address. A cross-site leak: a line (or the backend's view of the source) naming another site.
//   3. The master crashes with all 800 connections open; kept: no error or reset, every line echoed by the end.
// Targets: 100 % served, 0 leaks, the rules in one transaction, apply time stated, 100 % kept across the crash.
// Usage: node scripts/run-ts.mjs test/bench/sites.ts [--runs 5] [--sites 16] [--conns 50] [--reps 3] [--out bench/sites.md]
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeReport } from './report.ts';
import { cpus } from 'node:os';
import path from 'node:path';
import { crash } from '../e2e/lib/faults.ts';
import { haRouterStack, SELF } from '../e2e/lib/ha-router-node.ts';
import { nsRun, nsRunAsync, nsSpawn, sleep, waitFor } from '../e2e/lib/exec.ts';
import { BUNDLE, TJS } from '../support/tjs.ts';
import { bootPair } from '../e2e/lib/scenarios.ts';
import { addSites, holdsSiteVips, SERVICE_PORT, SERVICE_VIP, SITE_ECHO, startBackends } from '../e2e/lib/sites.ts';
import { createTestbed, type RouterNode, type SiteNode, type Testbed } from '../e2e/lib/testbed.ts';
import { defaultRole } from '../e2e/lib/uci-files.ts';
import { arg, numberArg } from './args.ts';

const RUNS = numberArg('runs', 5);
const NSITES = numberArg('sites', 16);
const CONNS = numberArg('conns', 50);
const REPS = numberArg('reps', 3);
const OUT = arg('out') ?? 'bench/sites.md';
const SITES = Array.from({ length: NSITES }, (_, i) => 10 + i);
/** Every site's connections use these source ports: 41000, 41001, ... */
const FIRST_PORT = 41000;
const LINE_MS = 200;
/** Open before the crash, and after the site VIPs are on the survivor. */
const BEFORE_CRASH_MS = 3_000;
const AFTER_FAILOVER_MS = 8_000;
const log = (s: string): void => {
	process.stderr.write(`${s}\n`);
};

interface Conn {
	port: number;
	seenAs: string | null;
	sent: number;
	echoed: number;
	wrong: number;
	leaks: number;
	maxGapMs: number;
	error: string | null;
}

interface ApplyRep {
	ms: number;
	/** The apply's own loads: its `nft -f` runs other than `nft -c` checks (an nft in PATH that logs, then runs nft). */
	applyLoads: number;
	/** Kernel transactions on the node (nft monitor's "new generation" lines) while the apply ran, by any process. */
	generations: number;
	/** Rules nft monitor saw added to the site chains in them. */
	siteRulesAdded: number;
}

interface Run {
	apply: ApplyRep[];
	/** apply of the same 16-site config again: nothing to change. */
	noChangeMs: number[];
	/** Counted on the standby after the last timed apply. */
	live?: { zoneRules: number; markRules: number; netmapRules: number; ipRules: number; siteRoutes: number };
	connected: number;
	served: number;
	leaks: number;
	/** Lines that came back on another connection of the same site. */
	wrongSameSite: number;
	/** Site entries (dport 8080, established) on the master before the crash, and on the standby (conntrackd). */
	entriesMaster: number;
	entriesStandby: number;
	/** From the crash to every site VIP on the survivor. */
	vipsMovedMs: number | null;
	kept: number;
	errors: Record<string, number>;
	gapMedianMs: number;
	gapWorstMs: number;
	error?: string;
}

/** One site's 50 connections in one process: resolves when all have opened or failed; stop() gives the per-connection results. */
async function openSite(b: Testbed, site: SiteNode): Promise<{ ok: number; stop(): Promise<Conn[]> }> {
	const child = b.track(nsSpawn(site.ns, process.execPath, [SITE_ECHO, 'many', SERVICE_VIP, SERVICE_PORT, site.client, String(FIRST_PORT), String(CONNS), `s${site.id}`, String(LINE_MS)]));
	let out = '';
	child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
	child.stderr!.on('data', (d: Buffer) => log(`site ${site.id}: ${d.toString().trim()}`));
	const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
	const ok = await waitFor(`site ${site.id}'s connections to open`, () => {
		const m = /CONNECTED (\d+) (\d+)/.exec(out);
		return m ? Number(m[1]) : undefined;
	}, 30_000);
	return {
		ok,
		async stop() {
			child.stdin!.end('stop\n');
			await Promise.race([closed, sleep(15_000)]);
			const json = out.split('\n').find((l) => l.startsWith('['));
			if (!json) throw new Error(`site ${site.id}: no results (${JSON.stringify(out.slice(-200))})`);
			return JSON.parse(json) as Conn[];
		},
	};
}

/** Established site connections to the service port in the node's conntrack table (one per zone and tuple). */
function siteEntries(node: RouterNode): number {
	const out = nsRun(node.ns, 'conntrack', ['-L', '-p', 'tcp', '--dport', SERVICE_PORT], { check: false, timeoutMs: 30_000 }).stdout;
	return out.split('\n').filter((l) => /zone=184\d\d/.test(l) && l.includes('ESTABLISHED')).length;
}

const haFile = (node: RouterNode) => path.join(node.root, 'etc/config/ha-router');
const withoutSites = (text: string) => text.replace(/\nconfig site '[^']+'\n(\toption [^\n]*\n)*/g, '');

/** Runs apply in the node's namespace; `bin` first in its PATH (the logging nft). */
async function apply(node: RouterNode, bin?: string): Promise<number> {
	const env = { ...process.env, HA_ROUTER_SELF: SELF, ...(bin ? { PATH: `${bin}:${process.env.PATH}` } : {}) };
	const t0 = performance.now();
	const r = await nsRunAsync(node.ns, TJS, ['run', BUNDLE, 'apply', '--root', node.root, '--config', path.join(node.root, 'etc/config')], { timeoutMs: 120_000, env });
	const ms = performance.now() - t0;
	if (r.code !== 0) throw new Error(`${node.name}: apply exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
	return ms;
}

/** The sites' apply on a running node: out (untimed), back in (timed, with nft monitor), and once more with nothing to change. */
async function timeApply(node: RouterNode): Promise<{ apply: ApplyRep[]; noChangeMs: number[] }> {
	const full = readFileSync(haFile(node), 'utf8');
	const bin = path.join(node.root, 'usr/libexec/ha-router/benchbin');
	const nftLog = path.join(bin, 'nft.log');
	mkdirSync(bin, { recursive: true });
	writeFileSync(path.join(bin, 'nft'), `#!/bin/sh\necho "$*" >> '${nftLog}'\nexec /usr/sbin/nft "$@"\n`, { mode: 0o755 });
	const reps: ApplyRep[] = [];
	const same: number[] = [];
	for (let i = 0; i < REPS; i++) {
		writeFileSync(haFile(node), withoutSites(full));
		await apply(node);
		writeFileSync(haFile(node), full);
		const mon = nsSpawn(node.ns, 'nft', ['monitor']);
		let text = '';
		mon.stdout!.on('data', (d: Buffer) => (text += d.toString()));
		await sleep(300);
		rmSync(nftLog, { force: true });
		const ms = await apply(node, bin);
		await sleep(300);
		const calls = existsSync(nftLog) ? readFileSync(nftLog, 'utf8').split('\n') : [];
		mon.kill('SIGTERM');
		const lines = text.split('\n');
		reps.push({
			ms,
			applyLoads: calls.filter((l) => /(^| )-f( |$)/.test(l) && !/(^| )-c( |$)/.test(l)).length,
			generations: lines.filter((l) => /^# new generation/.test(l)).length,
			siteRulesAdded: lines.filter((l) => /^add rule inet ha_router site_/.test(l)).length,
		});
		same.push(await apply(node));
	}
	return { apply: reps, noChangeMs: same };
}

function liveCounts(node: RouterNode): NonNullable<Run['live']> {
	const chain = (c: string) => nsRun(node.ns, 'nft', ['list', 'chain', 'inet', 'ha_router', c], { check: false }).stdout.split('\n').filter((l) => l.includes('!ha-router: site')).length;
	const rules = nsRun(node.ns, 'ip', ['rule', 'show'], { check: false }).stdout.split('\n').filter((l) => /^15\d\d:/.test(l)).length;
	const routes = nsRun(node.ns, 'ip', ['-N', 'route', 'show', 'table', 'all'], { check: false }).stdout.split('\n').filter((l) => / table 184\d\d/.test(l)).length;
	return { zoneRules: chain('site_zone'), markRules: chain('site_mark'), netmapRules: chain('site_netmap'), ipRules: rules, siteRoutes: routes };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN;

async function once(): Promise<Run> {
	const bed = await createTestbed({ sites: SITES, clients: 2 });
	try {
		for (const r of bed.routers) {
			await haRouterStack.configure(bed, r, defaultRole(r));
			// The site instances advertise like the LAN one (`make bench`: the shipped default).
			addSites(bed, r, SITES, defaultRole(r).advertInt);
		}
		const m = await bootPair(haRouterStack, bed, log);
		const standby = bed.routers.find((r) => r !== m)!;
		await waitFor('the site VIPs on the master', () => holdsSiteVips(m, SITES), 20_000);
		// The standby's own start-up loads (its notify, the lease it learns) are over by then.
		await sleep(2_000);
		const timed = await timeApply(standby);
		const live = liveCounts(standby);
		log(`apply: ${JSON.stringify(timed)}; live on the standby: ${JSON.stringify(live)}`);
		// The standby's re-added instances settle as backup; the master still holds every site VIP.
		await sleep(1_000);
		if (!holdsSiteVips(m, SITES)) throw new Error('the master lost a site VIP during the standby applies');

		await startBackends(bed);
		const sites = await Promise.all(bed.sites.map((s) => openSite(bed, s)));
		const connected = sites.reduce((a, s) => a + s.ok, 0);
		log(`${connected} of ${SITES.length * CONNS} connected`);
		await sleep(BEFORE_CRASH_MS);
		const entriesMaster = siteEntries(m);
		const entriesStandby = siteEntries(standby);
		await crash(m);
		const t0 = Date.now();
		const vipsMovedMs = await waitFor('the site VIPs on the survivor', () => holdsSiteVips(standby, SITES) && Date.now() - t0, 20_000, 10).catch(() => null);
		await sleep(AFTER_FAILOVER_MS);
		const results = await Promise.all(sites.map((s) => s.stop()));
		let served = 0;
		let leaks = 0;
		let wrongSameSite = 0;
		let kept = 0;
		const errors: Record<string, number> = {};
		const gaps: number[] = [];
		for (const [i, conns] of results.entries()) {
			const id = SITES[i]!;
			for (const c of conns) {
				const own = c.seenAs === `10.0.${id}.5:${c.port}`;
				// The backend saw the connection as another site's client: that is a leak too.
				const foreign = c.seenAs !== null && !own;
				if (own) served++;
				leaks += c.leaks + (foreign ? 1 : 0);
				wrongSameSite += c.wrong - c.leaks;
				if (c.error !== null) errors[c.error] = (errors[c.error] ?? 0) + 1;
				// The last line may still be on its way when the client stops.
				if (own && c.error === null && c.echoed >= c.sent - 1 && c.sent > 0) kept++;
				gaps.push(c.maxGapMs);
			}
		}
		return { ...timed, live, connected, served, leaks, wrongSameSite, entriesMaster, entriesStandby, vipsMovedMs, kept, errors, gapMedianMs: median(gaps), gapWorstMs: gaps.length ? Math.max(...gaps) : NaN };
	} finally {
		await bed.destroy();
	}
}

const TOTAL = SITES.length * CONNS;
const runs: Run[] = [];
for (let i = 0; i < RUNS; i++) {
	const r = await once().catch(
		(e: Error): Run => ({ apply: [], noChangeMs: [], connected: 0, served: 0, leaks: 0, wrongSameSite: 0, entriesMaster: 0, entriesStandby: 0, vipsMovedMs: null, kept: 0, errors: {}, gapMedianMs: NaN, gapWorstMs: NaN, error: e.message }),
	);
	runs.push(r);
	log(`sites run ${i + 1}/${RUNS}: ${JSON.stringify(r)}`);
}

const sum = (f: (r: Run) => number) => runs.reduce((a, r) => a + f(r), 0);
const pct = (n: number, of: number) => (of ? `${((100 * n) / of).toFixed(n === of ? 0 : 2)} %` : 'n/a');
const verdict = (n: number, of: number) => (n === of ? 'met' : `**missed** by ${of - n} (${pct(of - n, of)})`);
const applies = runs.flatMap((r) => r.apply);
const applyMs = applies.map((a) => a.ms);
const noChange = runs.flatMap((r) => r.noChangeMs);
const gens = [...new Set(applies.map((a) => a.generations))].sort((a, b) => a - b);
const oneTx = applies.length > 0 && applies.every((a) => a.applyLoads === 1);
const loads = [...new Set(applies.map((a) => a.applyLoads))].sort((a, b) => a - b);
const expectRules = { zone: 2 * SITES.length, mark: 2 * SITES.length, netmap: SITES.length };
const lives = runs.map((r) => r.live).filter((l) => l !== undefined);
const liveOk = lives.length > 0 && lives.every((l) => l.zoneRules === expectRules.zone && l.markRules === expectRules.mark && l.netmapRules === expectRules.netmap && l.ipRules === SITES.length && l.siteRoutes === SITES.length);
const moved = runs.map((r) => r.vipsMovedMs).filter((x): x is number => x !== null);
const allErrors: Record<string, number> = {};
for (const r of runs) for (const [k, v] of Object.entries(r.errors)) allErrors[k] = (allErrors[k] ?? 0) + v;
const advert = process.env.HA_E2E_ADVERT_INT === '' ? '0.03 s, the shipped default' : `${process.env.HA_E2E_ADVERT_INT ?? '0.1'} s`;
const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : 'n/a');

writeReport(OUT, [
	'# Sites with one client subnet (issue 15)',
	'',
	`Generated by \`make bench\` (test/bench/sites.ts) on ${new Date().toISOString()}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}. ` +
		`${RUNS} runs on the linux platform: a pair with ${SITES.length} sites (${SITES[0]}..${SITES[SITES.length - 1]}), each its own link into both routers and a VRRP instance ` +
		`(advert interval ${advert}), every site's clients in 10.0.0.0/24 with the same client address 10.0.0.5, and a service (${SERVICE_VIP}:${SERVICE_PORT}) balanced to 2 backends on the LAN. ` +
		`Per run: ${CONNS} long-lived connections per site from the same ${CONNS} source ports (${FIRST_PORT}..${FIRST_PORT + CONNS - 1}) at every site, so each 5-tuple arrives ${SITES.length} times; ` +
		`each sends "s<site> c<conn> <n>" every ${LINE_MS} ms and must get exactly that line back. ` +
		`The master crashes ${BEFORE_CRASH_MS / 1000} s after all have opened; the connections go on ${AFTER_FAILOVER_MS / 1000} s after the site VIPs are on the survivor.`,
	'',
	'| target | result |',
	'|---|---|',
	`| ${SITES.length} × ${CONNS} connections from identical addresses: 100 % served | ${sum((r) => r.served)} of ${RUNS * TOTAL} (${pct(sum((r) => r.served), RUNS * TOTAL)}): ${verdict(sum((r) => r.served), RUNS * TOTAL)}; connected ${sum((r) => r.connected)} |`,
	`| 0 cross-site leaks (a line, or the backend's view of the source, naming another site) | ${sum((r) => r.leaks)}: ${sum((r) => r.leaks) > 0 ? '**missed**' : runs.every((r) => !r.error) ? 'met' : `none in the ${runs.filter((r) => !r.error).length} runs that ran to the end`}; lines on another connection of the same site ${sum((r) => r.wrongSameSite)} |`,
	`| rules applied in one transaction | ${oneTx ? 'met' : '**missed**'}: the apply's own nft loads ${loads.join(', ') || 'n/a'} per apply (${applies.length} applies; \`nft -c\` checks not counted); transactions on the node meanwhile, any process (nft monitor) ${gens.join(', ') || 'n/a'}: ${applies.filter((a) => a.generations > a.applyLoads).length} applies had another load beside; site rules added per transaction ${[...new Set(applies.map((a) => a.siteRulesAdded / Math.max(1, a.generations)))].join(', ') || 'n/a'} (expected ${expectRules.zone + expectRules.mark + expectRules.netmap}: every load is the whole table); live: ${liveOk ? `${expectRules.zone} zone + ${expectRules.mark} mark + ${expectRules.netmap} NETMAP rules, ${SITES.length} ip rules, ${SITES.length} site routes` : `**not as expected** ${JSON.stringify(lives)}`}; the ip rules and routes are one \`ip -batch\` (no kernel transaction) |`,
	`| apply time for ${SITES.length} sites (stated) | adding the ${SITES.length} site sections to a running standby: median ${f0(median(applyMs))} ms, ${f0(Math.min(...applyMs))}–${f0(Math.max(...applyMs))} ms (${applyMs.length} applies); the same config again (nothing to change): median ${f0(median(noChange))} ms |`,
	`| master crash with live connections from every site: 100 % kept | ${sum((r) => r.kept)} of ${RUNS * TOTAL} (${pct(sum((r) => r.kept), RUNS * TOTAL)}): ${verdict(sum((r) => r.kept), RUNS * TOTAL)}; errors ${JSON.stringify(allErrors)} |`,
	`| (for reference) site VIPs on the survivor after the crash; longest echo pause per connection | ${moved.length ? `median ${f0(median(moved))} ms, worst ${f0(Math.max(...moved))} ms` : 'n/a'}; pause median ${f0(median(runs.map((r) => r.gapMedianMs)))} ms, worst ${f0(Math.max(...runs.map((r) => r.gapWorstMs)))} ms |`,
	`| (for reference) site conntrack entries before the crash, master / standby | ${runs.map((r) => `${r.entriesMaster} / ${r.entriesStandby}`).join('; ')} (of ${TOTAL} per run) |`,
	`| runs without an error | ${runs.filter((r) => !r.error).length} of ${RUNS} |`,
], runs);
