// Issue 14's several WANs on the testbed (linux platform): each router has the shared WAN (ISP 1, DHCP) and an uplink
// of its own on a second ISP (192.0.2.0/24, static, its own line to the internet server). The pair is configured with
// `config uplink` sections (weights 3 : 1) and one `config uplink_rule` (203.0.113.20 always by the second ISP); the
// internet server tells, per connection, which source address it saw (whoami.mjs).
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { haRouter, haRouterStack, haRouterUnavailable, startAgent } from './lib/ha-router-node.ts';
import { openwrtHaRouter, openwrtStack, openwrtUnavailable } from './lib/openwrt-node.ts';
import type { Stack } from './lib/stack.ts';
import { nsRun, nsRunAsync, nsSpawn, report, waitFor } from './lib/exec.ts';
import { startMeter, summary } from './lib/traffic.ts';
import { bootPair } from './lib/scenarios.ts';
import { crash } from './lib/faults.ts';
import { createTestbed, hasVip, SERVER, uplinkAddr, wanAddr, UPLINK_DEV, UPLINK_GW, type RouterNode, type Testbed } from './lib/testbed.ts';
import { defaultRole } from './lib/uci-files.ts';

const skip = process.getuid?.() !== 0 || haRouterUnavailable() !== undefined;
const skipOpenwrt = process.getuid?.() !== 0 || openwrtUnavailable() !== undefined;
const WHOAMI = path.resolve('test/e2e/lib/meter/whoami.mjs');
const PORT = '5003';
/** A second address of the internet server: the uplink_rule sends it by the second ISP whatever the weights. */
const EXCEPTION = '203.0.113.20';
const WEIGHTS = { isp1: 3, isp2: 1 };
/** An ISP that keeps its links up but forwards nothing from its customers. */
const BLACKHOLE = 'table ip blackhole {\n\tchain forward {\n\t\ttype filter hook forward priority 0; policy accept;\n\t\tiifname "br0" drop\n\t}\n}\n';

let bed: Testbed | undefined;
afterEach(async () => {
	await bed?.destroy();
	bed = undefined;
});

/** The second ISP's interface in /etc/config/network and the uplink sections in /etc/config/ha-router. */
/** Extra option lines per uplink section, and the second ISP's tier. */
interface UplinkExtras {
	readonly isp2Tier?: number;
	readonly isp1?: string;
	readonly isp2?: string;
}

function addUplinks(node: RouterNode, extras: UplinkExtras = {}): void {
	appendFileSync(
		path.join(node.root, 'etc/config/network'),
		`\nconfig interface 'isp2'\n\toption device '${UPLINK_DEV}'\n\toption proto 'static'\n\toption ipaddr '${uplinkAddr(node)}/24'\n\toption gateway '${UPLINK_GW}'\n`,
	);
	appendFileSync(
		path.join(node.root, 'etc/config/ha-router'),
		`
config uplink 'isp1'
	option interface 'wan'
	option weight '${WEIGHTS.isp1}'
	list track_ip '${SERVER}'
${extras.isp1 ?? ''}
config uplink 'isp2'
	option interface 'isp2'
	option weight '${WEIGHTS.isp2}'
	option tier '${extras.isp2Tier ?? 0}'
	list track_ip '${SERVER}'
${extras.isp2 ?? ''}
config uplink_rule
	option name 'exception'
	list dest_ip '${EXCEPTION}/32'
	option use 'isp2'
`,
	);
}

async function serve(ns: string): Promise<void> {
	const srv = bed!.track(nsSpawn(ns, process.execPath, [WHOAMI, 'serve', PORT]));
	await new Promise<void>((resolve, reject) => {
		srv.stdout!.on('data', (d: Buffer) => d.toString().includes('READY') && resolve());
		srv.on('exit', () => reject(new Error(`whoami server in ${ns} exited`)));
	});
}

async function pair(stack: Stack = haRouterStack, extras: UplinkExtras = {}): Promise<RouterNode> {
	const b = await createTestbed({ uplinks: true, secondIsp: true });
	bed = b;
	for (const r of b.routers) {
		await stack.configure(b, r, defaultRole(r));
		addUplinks(r, extras);
	}
	const m = await bootPair(stack, b, report);
	expect(m.name).toBe('r0');
	nsRun(b.server.ns, 'ip', ['addr', 'add', `${EXCEPTION}/24`, 'dev', 'eth0']);
	await serve(b.server.ns);
	return m;
}

/** Source addresses `to` saw for n new connections, one after another, from `ns`. */
async function whoSees(ns: string, to: string, n: number): Promise<{ answers: Record<string, number>; failed: number }> {
	const r = await nsRunAsync(ns, process.execPath, [WHOAMI, 'ask', to, PORT, String(n)], { timeoutMs: 120_000 });
	return JSON.parse(r.stdout) as { answers: Record<string, number>; failed: number };
}

/** Counts packets from `sources` (and `match`, e.g. the whoami port: the health probes are not counted) entering
 * each ISP on each router's port: ISP 1 port r<i>, ISP 2 port u<i>. */
function countAtIsps(b: Testbed, sources: string[], match: string): () => Record<string, number> {
	const set = `{ ${sources.join(', ')} }`;
	const load = (ns: string, ports: string[]) =>
		nsRun(ns, 'nft', ['-f', '-'], { input: `table netdev seen {}\ndelete table netdev seen\ntable netdev seen {\n${ports.map((p) => `chain ${p} { type filter hook ingress device "${p}" priority 0; ip saddr ${set} ${match} counter; }`).join('\n')}\n}\n` });
	const isp1 = b.routers.map((r) => r.name);
	const isp2 = b.routers.map((r) => `u${r.index}`);
	load(b.ns.isp, isp1);
	load(b.ns.isp2!, isp2);
	const read = (ns: string, ports: string[]) => {
		const out = nsRun(ns, 'nft', ['list', 'table', 'netdev', 'seen']).stdout;
		return ports.map((p) => [`${ns === b.ns.isp ? 'isp1' : 'isp2'}:${p}`, Number(new RegExp(`chain ${p} \\{[\\s\\S]*?counter packets (\\d+)`).exec(out)?.[1] ?? -1)] as const);
	};
	return () => Object.fromEntries([...read(b.ns.isp, isp1), ...read(b.ns.isp2!, isp2)]);
}

describe.skipIf(skip)('several WANs (linux platform, the shared WAN and a second ISP)', () => {
	it('balances new connections by weight, sends the exception by its uplink, answers inbound connections by the uplink they came in on', async () => {
		const r0 = await pair();
		const client = bed!.clients[0]!.ns;
		const wan = wanAddr(r0)!.split('/')[0]!;
		const own = uplinkAddr(r0);

		// Weights 3 : 1 over 2000 short connections: each share within ±3 points of 75 % / 25 %.
		const N = 2000;
		const seen = await whoSees(client, bed!.server.addr, N);
		report(`weights ${WEIGHTS.isp1}:${WEIGHTS.isp2}, ${N} connections: ${JSON.stringify(seen)}`);
		expect(seen.failed).toBe(0);
		expect(Object.keys(seen.answers).sort()).toEqual([own, wan].sort());
		const wanShare = seen.answers[wan]! / N;
		const ownShare = seen.answers[own]! / N;
		report(`shares: wan ${(wanShare * 100).toFixed(1)} %, isp2 ${(ownShare * 100).toFixed(1)} % (configured 75 / 25)`);
		expect(Math.abs(wanShare - 0.75)).toBeLessThanOrEqual(0.03);
		expect(Math.abs(ownShare - 0.25)).toBeLessThanOrEqual(0.03);

		// The exception prefix: every connection by the second ISP, and its packets never enter ISP 1.
		const count = countAtIsps(bed!, [own], `tcp dport ${PORT}`);
		const exc = await whoSees(client, EXCEPTION, 100);
		report(`exception ${EXCEPTION}: ${JSON.stringify(exc)} ports ${JSON.stringify(count())}`);
		expect(exc).toEqual({ answers: { [own]: 100 }, failed: 0, errors: {} });
		expect(count()).toMatchObject({ 'isp1:r0': 0 });

		// Inbound: the internet server connects to each of the master's uplink addresses; the answers leave by the
		// uplink the connection came in on (without the policy routing the second ISP's would leave by the WAN's
		// default route and enter ISP 1).
		await serve(r0.ns);
		const inbound = countAtIsps(bed!, [own, wan], `tcp sport ${PORT}`);
		const viaIsp2 = await whoSees(bed!.server.ns, own, 50);
		const afterIsp2 = inbound();
		const viaWan = await whoSees(bed!.server.ns, wan, 50);
		const afterWan = inbound();
		report(`inbound: isp2 ${JSON.stringify(viaIsp2)} ${JSON.stringify(afterIsp2)}; wan ${JSON.stringify(viaWan)} ${JSON.stringify(afterWan)}`);
		expect(viaIsp2.failed).toBe(0);
		expect(viaWan.failed).toBe(0);
		// Each connection: SYN-ACK, the answer, FIN... at least 3 packets each, all through ISP 2 / ISP 1 respectively.
		expect(afterIsp2['isp1:r0']).toBe(0);
		expect(afterIsp2['isp2:u0']).toBeGreaterThanOrEqual(50 * 3);
		expect(afterWan['isp2:u0']).toBe(afterIsp2['isp2:u0']);
		expect(afterWan['isp1:r0']).toBeGreaterThanOrEqual(50 * 3);

		// A weight changed in the config and applied: only the choice maps' elements change, in one nft
		// transaction. The table keeps its kernel handle: it was not deleted and made again (a whole load would
		// give it a new one; rule handles would not tell, they restart in a new table).
		const handle = () => /table inet ha_router \{ # handle (\d+)/.exec(nsRun(r0.ns, 'nft', ['-a', 'list', 'table', 'inet', 'ha_router']).stdout)?.[1];
		const before = handle();
		expect(before).toMatch(/^\d+$/);
		const conf = path.join(r0.root, 'etc/config/ha-router');
		writeFileSync(conf, readFileSync(conf, 'utf8').replace(`option weight '${WEIGHTS.isp2}'`, `option weight '${WEIGHTS.isp1}'`));
		const applied = await haRouter(r0, ['apply', '--config', path.join(r0.root, 'etc/config'), '--root', r0.root]);
		expect(applied.code, applied.stderr).toBe(0);
		expect(nsRun(r0.ns, 'nft', ['list', 'map', 'inet', 'ha_router', 'uplink_balanced']).stdout).toContain('elements = { 0-499 : 0x00010000, 500-999 : 0x00020000 }');
		expect(handle()).toBe(before);
		// 2000 connections at 1:1: ±3.5 points is 3.1 standard deviations.
		const even = await whoSees(client, bed!.server.addr, N);
		report(`after the weight change to ${WEIGHTS.isp1}:${WEIGHTS.isp1}, the table kept handle ${before}; ${N} connections: ${JSON.stringify(even)}`);
		expect(even.failed).toBe(0);
		expect(Math.abs(even.answers[wan]! / N - 0.5)).toBeLessThanOrEqual(0.035);
	}, 180_000);

	it('a dead uplink (cable cut at the ISP, then link up but black-holed upstream) gets no new connections, the other uplink\'s streams go on, and it comes back', async () => {
		const r0 = await pair();
		const client = bed!.clients[0]!.ns;
		const wan = wanAddr(r0)!.split('/')[0]!;
		const own = uplinkAddr(r0);
		const isp2 = bed!.ns.isp2!;
		const uplinks = async () => JSON.parse((await haRouter(r0, ['uplinks', '--json', '--root', r0.root])).stdout) as { ok: boolean; allDead: boolean; uplinks: { name: string; state: string; probed: boolean; lossPercent: number | null; rttMs: number | null; connections: number | null }[] };
		const balanced = () => /elements = \{ ([^}]*) \}/.exec(nsRun(r0.ns, 'nft', ['list', 'map', 'inet', 'ha_router', 'uplink_balanced']).stdout)?.[1] ?? '';
		const ALL = '0-749 : 0x00010000, 750-999 : 0x00020000';
		const WAN_ONLY = '0-999 : 0x00010000';
		await waitFor('both uplinks probed and alive', async () => {
			const u = await uplinks();
			return u.ok && u.uplinks.every((l) => l.state === 'alive' && l.probed && l.rttMs !== null);
		}, 10_000, 200);
		expect(balanced()).toBe(ALL);

		// Streams through both uplinks; the conntrack marks tell which one each stream took.
		const meter = await startMeter(bed!, { streams: 20 });
		const marks = nsRun(r0.ns, 'conntrack', ['-L', '-p', 'tcp', '--dport', '5001'], { check: false }).stdout;
		const onWan = [...marks.matchAll(/mark=65536\b/g)].length;
		const onIsp2 = [...marks.matchAll(/mark=131072\b/g)].length;
		report(`streams: ${onWan} by the WAN, ${onIsp2} by isp2`);
		expect(onWan + onIsp2).toBe(20);
		expect(onWan).toBeGreaterThan(0);
		// `uplinks` counts each link's live connections (the streams, and whatever else the node tracks on it).
		const counted = Object.fromEntries((await uplinks()).uplinks.map((l) => [l.name, l.connections]));
		report(`uplinks counts: ${JSON.stringify(counted)}`);
		expect(counted.isp1).toBeGreaterThanOrEqual(onWan);
		expect(counted.isp2).toBeGreaterThanOrEqual(onIsp2);

		// A connection still trying to open on isp2 (the exception's address, a port where the server drops SYNs):
		// when isp2 dies its conntrack entry is forgotten, so the client's next SYN is balanced onto the WAN.
		nsRun(bed!.server.ns, 'nft', ['-f', '-'], { input: 'table inet hold {\n\tchain input {\n\t\ttype filter hook input priority 0; policy accept;\n\t\ttcp dport 5999 drop\n\t}\n}\n' });
		bed!.track(nsSpawn(client, process.execPath, ['-e', `require('net').connect(5999, '${EXCEPTION}').on('error', () => {}); setTimeout(() => {}, 60000)`]));
		const attempt = (mark: number) => new RegExp(`SYN_SENT .*dport=5999 .*mark=${mark}\\b`).test(nsRun(r0.ns, 'conntrack', ['-L', '-p', 'tcp', '--dport', '5999'], { check: false }).stdout);
		await waitFor('a connection attempt on isp2', () => attempt(0x20000), 5_000, 50);

		// 1. The cable to r0 cut at the second ISP.
		const cut = Date.now();
		nsRun(isp2, 'ip', ['link', 'set', 'u0', 'down']);
		await waitFor('isp2 out of the balance', () => balanced() === WAN_ONLY, 10_000, 20);
		report(`cable cut: isp2 out of the balance after ${Date.now() - cut} ms (probe_interval 200 ms, down 3)`);
		await waitFor('the attempt retried on the WAN (its next SYN)', () => attempt(0x10000) && !attempt(0x20000), 10_000, 100);
		report(`the unanswered attempt went to the WAN ${Date.now() - cut} ms after the cut`);
		expect(await whoSees(client, SERVER, 100)).toEqual({ answers: { [wan]: 100 }, failed: 0, errors: {} });
		const during = await uplinks();
		report(`uplinks during the cut: ${JSON.stringify(during)}`);
		expect(during.uplinks.find((l) => l.name === 'isp2')).toMatchObject({ state: 'dead' });
		expect(during.uplinks.find((l) => l.name === 'isp1')).toMatchObject({ state: 'alive' });
		// status carries the same round, and says it in a warning.
		const status = JSON.parse((await haRouter(r0, ['status', '--json', '--root', r0.root])).stdout) as { uplinks: { links: { name: string; state: string }[] }; warnings: string[] };
		expect(status.uplinks.links.map((l) => `${l.name}:${l.state}`).sort()).toEqual(['isp1:alive', 'isp2:dead']);
		expect(status.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^uplink isp2 is dead since .*: it takes no new connections$/)]));
		// The agent killed and started again (procd's respawn) while isp2 is dead: the kernel's maps keep the last
		// weights meanwhile, and the new monitor starts from the verdicts it wrote, so the dead link never comes back
		// into the balance (from "all alive" it would, for `down` rounds).
		const agentOf = (node: RouterNode) => nsRun(node.ns, 'pgrep', ['-f', `ha-router.js agent --root ${node.root}`], { check: false }).stdout.trim();
		nsRun(r0.ns, 'kill', ['-9', ...agentOf(r0).split('\n')]);
		startAgent(r0);
		const restarted = Date.now();
		await waitFor('the new agent', () => agentOf(r0) !== '', 5_000, 20);
		for (let seen = 0; Date.now() - restarted < 2000; seen++) {
			expect(balanced(), `map after the agent's restart (look ${seen})`).toBe(WAN_ONLY);
			await new Promise((r) => setTimeout(r, 20));
		}
		expect(readFileSync(path.join(r0.root, 'var/log/agent.log'), 'utf8')).toContain('uplink monitor: starting from the last verdicts (isp2 dead)');
		const traffic = summary(await meter.stop());
		report(`streams over the cut: ${JSON.stringify(traffic.tcp)}`);
		// Every stream on the healthy uplink went on, none was reset; the ones on the cut uplink could not.
		expect(traffic.tcp.survived).toBe(onWan);
		expect(traffic.tcp.reset).toBe(0);

		const back = Date.now();
		nsRun(isp2, 'ip', ['link', 'set', 'u0', 'up']);
		await waitFor('isp2 back in the balance', () => balanced() === ALL, 15_000, 20);
		report(`cable back: isp2 in the balance again after ${Date.now() - back} ms (up 3)`);
		const again = await whoSees(client, SERVER, 200);
		expect(again.failed).toBe(0);
		expect(Object.keys(again.answers).sort()).toEqual([own, wan].sort());

		// 2. Link up, but the second ISP black-holes everything from its customers.
		nsRun(isp2, 'nft', ['-f', '-'], { input: BLACKHOLE });
		const holed = Date.now();
		await waitFor('isp2 out of the balance (black hole)', () => balanced() === WAN_ONLY, 10_000, 20);
		report(`black hole: isp2 out of the balance after ${Date.now() - holed} ms`);
		expect(await whoSees(client, SERVER, 100)).toEqual({ answers: { [wan]: 100 }, failed: 0, errors: {} });
		nsRun(isp2, 'nft', ['delete', 'table', 'ip', 'blackhole']);
		await waitFor('isp2 back in the balance (black hole gone)', () => balanced() === ALL, 15_000, 20);

		// 3. Both ISPs black-holed: every uplink is dead. Nothing is taken out (there is nowhere better), the main table
		// keeps its default route, and the log and status say so.
		for (const ns of [bed!.ns.isp, isp2]) nsRun(ns, 'nft', ['-f', '-'], { input: BLACKHOLE });
		const allDead = await waitFor('every uplink dead', async () => {
			const u = await uplinks();
			return u.allDead && u;
		}, 10_000, 100);
		report(`every uplink dead: ${JSON.stringify(allDead)}`);
		expect(allDead.uplinks.map((l) => l.state)).toEqual(['dead', 'dead']);
		expect(balanced()).toBe(ALL);
		expect(nsRun(r0.ns, 'ip', ['-4', 'route', 'show', 'default']).stdout).toContain('default via 198.51.100.1 dev hawan');
		const text = await haRouter(r0, ['uplinks', '--root', r0.root]);
		report(text.stdout);
		expect(text.stdout).toContain('every uplink is dead: all stay in the balance as configured, and the main table keeps its default route');
		expect((JSON.parse((await haRouter(r0, ['status', '--json', '--root', r0.root])).stdout) as { warnings: string[] }).warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^every uplink is dead/)]));
		for (const ns of [bed!.ns.isp, isp2]) nsRun(ns, 'nft', ['delete', 'table', 'ip', 'blackhole']);
		await waitFor('both uplinks alive again', async () => (await uplinks()).uplinks.every((l) => l.state === 'alive'), 15_000, 100);

		// For the record (docs/decisions.md): the agent's memory after these rounds, probing two uplinks every 200 ms.
		const agentPid = nsRun(r0.ns, 'pgrep', ['-f', 'ha-router.js agent'], { check: false }).stdout.trim().split('\n')[0];
		if (agentPid) {
			// utime stime cutime cstime (children: the nft and ip it runs) and the start time, in clock ticks (100 Hz here).
			const stat = readFileSync(`/proc/${agentPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
			const cpuS = [11, 12, 13, 14].reduce((t, i) => t + Number(stat[i]), 0) / 100;
			const lifeS = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) - Number(stat[19]) / 100;
			report(`agent ${agentPid}: ${readFileSync(`/proc/${agentPid}/status`, 'utf8').split('\n').filter((l) => /^Vm(RSS|HWM)/.test(l)).join(', ')}; CPU ${cpuS.toFixed(2)} s (its children included) in ${lifeS.toFixed(1)} s of life`);
		}

		// Each change was logged by the agent.
		const log = path.join(r0.root, 'var/log/agent.log');
		const lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('uplink isp2')) : [];
		report(lines.join('\n'));
		expect(lines.filter((l) => /uplink isp2 \(up0\): dead after 3 lost probe rounds/.test(l))).toHaveLength(3);
		expect(lines.filter((l) => /uplink isp2 \(up0\): alive after 3 answered probe rounds/.test(l))).toHaveLength(3);
		expect(readFileSync(log, 'utf8')).toContain('every uplink is dead: all stay in the balance as configured, and the main table keeps its default route');
		expect(lines.find((l) => /uplink isp2: 1 connection attempt still unanswered on it forgotten/.test(l))).toBeDefined();
	}, 240_000);

	it('a lossy uplink (over max_loss) is degraded and avoided until it recovers; the standby holds the master\'s verdicts, and after a crash the new master starts from them', async () => {
		// The shared WAN probed by TCP connects to the internet server's whoami port: the black hole below stops them too.
		const r0 = await pair(haRouterStack, { isp2: "\toption max_loss '20'\n", isp1: `\toption track_method 'tcp'\n\toption track_port '${PORT}'\n` });
		const r1 = bed!.routers.find((r) => r !== r0)!;
		const client = bed!.clients[0]!.ns;
		const wan = wanAddr(r0)!.split('/')[0]!;
		type Links = { ok: boolean; uplinks: { name: string; state: string; probed: boolean; inUse: boolean; lossPercent: number | null; note: string | null }[] };
		const uplinks = async (node: RouterNode) => JSON.parse((await haRouter(node, ['uplinks', '--json', '--root', node.root])).stdout) as Links;
		const state = async (node: RouterNode, name: string) => (await uplinks(node)).uplinks.find((l) => l.name === name);
		const balanced = (node: RouterNode) => /elements = \{ ([^}]*) \}/.exec(nsRun(node.ns, 'nft', ['list', 'map', 'inet', 'ha_router', 'uplink_balanced']).stdout)?.[1] ?? '';
		const ALL = '0-749 : 0x00010000, 750-999 : 0x00020000';
		await waitFor('both uplinks probed and alive on the master', async () => (await uplinks(r0)).uplinks.every((l) => l.state === 'alive' && l.probed), 10_000, 200);

		// 1. A third of the second ISP's probes lost on the way (nft at the ISP: no netem here): over max_loss 20 %,
		// the link is degraded, takes no new connections, and is used again once its loss falls back. (Three losses
		// in a row also make it dead now and then; it then comes back degraded, not alive.)
		const lossy = `table ip lossy {\n\tchain forward {\n\t\ttype filter hook forward priority 0; policy accept;\n\t\tip saddr ${uplinkAddr(r0)} icmp type echo-request numgen random mod 100 < 33 drop\n\t}\n}\n`;
		nsRun(bed!.ns.isp2!, 'nft', ['-f', '-'], { input: lossy });
		const lossAt = Date.now();
		const degraded = await waitFor('isp2 degraded', async () => {
			const l = await state(r0, 'isp2');
			return l?.state === 'degraded' && l;
		}, 15_000, 100);
		report(`33 % probe loss: isp2 degraded after ${Date.now() - lossAt} ms: ${JSON.stringify(degraded)}`);
		expect(degraded).toMatchObject({ inUse: false });
		expect(balanced(r0)).toBe('0-999 : 0x00010000');
		expect(await whoSees(client, SERVER, 100)).toEqual({ answers: { [wan]: 100 }, failed: 0, errors: {} });
		const warnings = (JSON.parse((await haRouter(r0, ['status', '--json', '--root', r0.root])).stdout) as { warnings: string[] }).warnings;
		expect(warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^uplink isp2 is (degraded|dead) since .*: it takes no new connections$/)]));
		nsRun(bed!.ns.isp2!, 'nft', ['delete', 'table', 'ip', 'lossy']);
		const healed = Date.now();
		await waitFor('isp2 alive and balanced again', async () => (await state(r0, 'isp2'))?.state === 'alive' && balanced(r0) === ALL, 15_000, 100);
		report(`loss ended: isp2 alive again after ${Date.now() - healed} ms`);

		// 2. The first ISP black-holes its customers: the master finds the shared WAN dead. The standby cannot probe
		// it (no address there) and takes the master's verdict from its heartbeats, so its maps already avoid it.
		nsRun(bed!.ns.isp, 'nft', ['-f', '-'], { input: BLACKHOLE });
		await waitFor('isp1 dead on the master', async () => (await state(r0, 'isp1'))?.state === 'dead', 10_000, 100);
		const onStandby = await waitFor('isp1 dead on the standby too', async () => {
			const l = await state(r1, 'isp1');
			return l?.state === 'dead' && l;
		}, 5_000, 100);
		report(`the standby's view of the shared WAN: ${JSON.stringify(onStandby)}`);
		expect(onStandby).toMatchObject({ probed: false, inUse: false, note: expect.stringContaining('state as the peer last saw it') });
		expect(await state(r1, 'isp2')).toMatchObject({ state: 'alive', probed: true });
		expect(balanced(r1)).toBe('0-999 : 0x00020000');

		await crash(r0, []);
		await waitFor('r1 master with the WAN', () => hasVip(r1) && wanAddr(r1) !== undefined, 20_000, 20);
		// From its first moment as master, new connections avoid the dead WAN: none is lost to it.
		expect(balanced(r1)).toBe('0-999 : 0x00020000');
		expect(await whoSees(client, SERVER, 100)).toEqual({ answers: { [uplinkAddr(r1)]: 100 }, failed: 0, errors: {} });
		// Its own probes begin once it sees the lease's address (looked for every second), and find it dead too.
		const probedHere = await waitFor('the new master probing the shared WAN itself', async () => {
			const l = await state(r1, 'isp1');
			return l?.probed && l;
		}, 5_000, 100);
		report(`the new master's view of the shared WAN: ${JSON.stringify(probedHere)}`);
		expect(probedHere).toMatchObject({ state: 'dead', probed: true });
		nsRun(bed!.ns.isp, 'nft', ['delete', 'table', 'ip', 'blackhole']);
		await waitFor('the shared WAN alive and balanced on the new master', async () => (await state(r1, 'isp1'))?.state === 'alive' && balanced(r1) === ALL, 15_000, 100);
		const log = readFileSync(path.join(r1.root, 'var/log/agent.log'), 'utf8').split('\n').filter((l) => l.includes('uplink isp1'));
		report(log.join('\n'));
		// It never thought the WAN alive before it was: dead from the peer, alive only from its own answered probes.
		expect(log.filter((l) => /uplink isp1 \(hawan\): (alive|dead|degraded)/.test(l)).map((l) => /: (alive|dead|degraded)( as the peer last saw it| after \d+ answered)?/.exec(l)![0])).toEqual([': dead as the peer last saw it', ': alive after 3 answered']);
	}, 240_000);

	it('a second tier takes new connections only while the first is dead', async () => {
		const r0 = await pair(haRouterStack, { isp2Tier: 1 });
		const client = bed!.clients[0]!.ns;
		const wan = wanAddr(r0)!.split('/')[0]!;
		const own = uplinkAddr(r0);
		const balanced = () => /elements = \{ ([^}]*) \}/.exec(nsRun(r0.ns, 'nft', ['list', 'map', 'inet', 'ha_router', 'uplink_balanced']).stdout)?.[1] ?? '';
		expect(balanced()).toBe('0-999 : 0x00010000');
		expect(await whoSees(client, SERVER, 100)).toEqual({ answers: { [wan]: 100 }, failed: 0, errors: {} });
		// The first ISP black-holes its customers: the shared WAN (tier 0) dies, the second ISP (tier 1) takes over.
		nsRun(bed!.ns.isp, 'nft', ['-f', '-'], { input: BLACKHOLE });
		const holed = Date.now();
		await waitFor('tier 1 in use', () => balanced() === '0-999 : 0x00020000', 10_000, 20);
		report(`tier 0 black-holed: tier 1 took the balance after ${Date.now() - holed} ms`);
		expect(await whoSees(client, SERVER, 100)).toEqual({ answers: { [own]: 100 }, failed: 0, errors: {} });
		nsRun(bed!.ns.isp, 'nft', ['delete', 'table', 'ip', 'blackhole']);
		await waitFor('tier 0 back', () => balanced() === '0-999 : 0x00010000', 15_000, 20);
		expect(await whoSees(client, SERVER, 100)).toEqual({ answers: { [wan]: 100 }, failed: 0, errors: {} });
	}, 180_000);

	it('conntrackd carries each connection\'s uplink mark to the standby: after a crash of the master the shared WAN\'s streams keep their uplink', async () => {
		const r0 = await pair();
		const r1 = bed!.routers.find((r) => r !== r0)!;
		const meter = await startMeter(bed!, { streams: 20 });
		/** "orig src:sport" -> mark, for the meter's TCP flows on a node. */
		const flows = (node: RouterNode) =>
			new Map(
				[...nsRun(node.ns, 'conntrack', ['-L', '-p', 'tcp', '--dport', '5001'], { check: false }).stdout.matchAll(/src=(\S+) dst=\S+ sport=(\d+) .*?mark=(\d+)/g)].map((m) => [`${m[1]}:${m[2]}`, Number(m[3])] as const),
			);
		const onMaster = flows(r0);
		expect(onMaster.size).toBe(20);
		// The standby's copies (conntrackd, no external cache: written into its kernel table) carry the same marks.
		const onStandby = await waitFor('the standby holding every flow with its mark', () => {
			const f = flows(r1);
			return [...onMaster].every(([k, m]) => f.get(k) === m) && f;
		}, 10_000, 100);
		const byMark = (f: Map<string, number>, mark: number) => [...f.values()].filter((m) => m === mark).length;
		const onWan = byMark(onMaster, 0x10000);
		report(`marks on the master: ${onWan} WAN, ${byMark(onMaster, 0x20000)} isp2; on the standby: ${byMark(onStandby, 0x10000)} WAN, ${byMark(onStandby, 0x20000)} isp2`);
		expect(onWan).toBeGreaterThan(0);

		await meter.mark('fault');
		await crash(r0, []);
		await waitFor('r1 master with the WAN', () => hasVip(r1) && wanAddr(r1) !== undefined, 20_000, 20);
		// New connections on the new master: balanced over its uplinks (the shared WAN and its own).
		const after = await whoSees(bed!.clients[0]!.ns, SERVER, 200);
		report(`new connections after the failover: ${JSON.stringify(after)}`);
		expect(after.failed).toBe(0);
		expect(Object.keys(after.answers).sort()).toEqual([uplinkAddr(r1), wanAddr(r1)!.split('/')[0]!].sort());
		const traffic = summary(await meter.stop());
		report(`streams over the crash: ${JSON.stringify(traffic.tcp)}`);
		// Every stream on the shared WAN survived the crash on it (the mark kept it there). A stream on the crashed
		// node's own uplink is not expected to (its address was that node's): it died in 8 of 9 runs, in one all
		// 20 streams went on (not understood; docs/decisions.md), hence at least, not exactly.
		expect(traffic.tcp.survived).toBeGreaterThanOrEqual(onWan);
		expect(traffic.tcp.reset).toBe(0);
	}, 240_000);
});

describe.skipIf(skipOpenwrt)('several WANs on the OpenWrt userland (procd, netifd, fw4, the installed package)', () => {
	it('balances by weight, keeps the exception, and the uplink rules and routes survive a firewall restart', async () => {
		const r0 = await pair(openwrtStack);
		const client = bed!.clients[0]!.ns;
		const wan = wanAddr(r0)!.split('/')[0]!;
		const own = uplinkAddr(r0);
		const seen = await whoSees(client, bed!.server.addr, 1000);
		report(`openwrt: weights ${WEIGHTS.isp1}:${WEIGHTS.isp2}, 1000 connections: ${JSON.stringify(seen)}`);
		expect(seen.failed).toBe(0);
		expect(Math.abs(seen.answers[wan]! / 1000 - 0.75)).toBeLessThanOrEqual(0.04);
		// fw4 restart (stop deletes every table, start loads ours back from its include) and reload.
		for (const action of ['restart', 'reload']) {
			expect(nsRun(r0.ns, path.join(r0.root, 'etc/init.d/firewall'), [action], { check: false }).code).toBe(0);
			expect(nsRun(r0.ns, 'nft', ['list', 'map', 'inet', 'ha_router', 'uplink_balanced']).stdout).toContain('0-749 : 0x00010000, 750-999 : 0x00020000');
		}
		expect(nsRun(r0.ns, 'ip', ['-4', 'rule', 'show']).stdout).toContain('1802:	from all fwmark 0x20000/0xff0000 lookup 1802');
		expect(await whoSees(client, EXCEPTION, 50)).toEqual({ answers: { [own]: 50 }, failed: 0, errors: {} });
		const u = await openwrtHaRouter(r0, ['uplinks', '--json']);
		report(`openwrt: uplinks ${u.stdout}`);
		expect(JSON.parse(u.stdout)).toMatchObject({ ok: true, allDead: false, uplinks: [{ name: 'isp1', state: 'alive' }, { name: 'isp2', state: 'alive' }] });
	}, 300_000);
});
