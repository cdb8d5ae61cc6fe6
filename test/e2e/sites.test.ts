// Issue 15 on the testbed (linux platform): two remote sites with the same client subnet and the same client address,
// each a link into both routers, reach a service on a VIP that the pair balances to two backends on the LAN. The
// backends see each site's client at its own mapped address; every echo comes back to the site that sent it; two
// connections with the same address and port from the two sites are both served, keep their conntrack zones on the
// standby (conntrackd), and both survive a crash of the master. A backend that stops answering leaves the balancer's
// map and new connections all reach the other. Teardown, and removing the site sections, take the zones, marks,
// NETMAP, rules, routes and table names away.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { crash } from './lib/faults.ts';
import { haRouter, haRouterStack, haRouterUnavailable } from './lib/ha-router-node.ts';
import { nsRun, nsSpawn, report, waitFor } from './lib/exec.ts';
import { bootPair } from './lib/scenarios.ts';
import { addSites, holdsSiteVips, SERVICE_PORT, SERVICE_VIP, SITE_ECHO, startBackends } from './lib/sites.ts';
import { createTestbed, SERVER, siteDev, UPLINK_DEV, UPLINK_GW, uplinkAddr, type RouterNode, type SiteNode, type Testbed } from './lib/testbed.ts';
import { defaultRole } from './lib/uci-files.ts';

const skip = process.getuid?.() !== 0 || haRouterUnavailable() !== undefined;
/** Both sites' clients use this source port: the same 5-tuple reaches the pair twice. */
const CLIENT_PORT = '40000';
const SITES = [10, 20];

let bed: Testbed | undefined;
afterEach(async () => {
	await bed?.destroy();
	bed = undefined;
});

/** Issue 14's several WANs on the same pair: the shared WAN and each router's own uplink, weights 1 : 1. */
function addUplinks(node: RouterNode): void {
	const net = path.join(node.root, 'etc/config/network');
	const ha = path.join(node.root, 'etc/config/ha-router');
	writeFileSync(net, `${readFileSync(net, 'utf8')}\nconfig interface 'isp2'\n\toption device '${UPLINK_DEV}'\n\toption proto 'static'\n\toption ipaddr '${uplinkAddr(node)}/24'\n\toption gateway '${UPLINK_GW}'\n`);
	writeFileSync(ha, `${readFileSync(ha, 'utf8')}\nconfig uplink 'isp1'\n\toption interface 'wan'\n\tlist track_ip '${SERVER}'\n\nconfig uplink 'isp2'\n\toption interface 'isp2'\n\tlist track_ip '${SERVER}'\n`);
}

/** One long connection from a site's client, from CLIENT_PORT, to the backend; resolves with what the client saw. */
function hold(site: SiteNode, ms: number, localPort = CLIENT_PORT): Promise<{ seenAs: string | null; sent: number; echoed: number; wrong: number; maxGapMs: number; error: string | null }> {
	const child = bed!.track(nsSpawn(site.ns, process.execPath, [SITE_ECHO, 'hold', SERVICE_VIP, SERVICE_PORT, site.client, localPort, `s${site.id}`, String(ms), '50']));
	let out = '';
	child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
	return new Promise((resolve, reject) => {
		child.on('close', () => {
			try {
				resolve(JSON.parse(out));
			} catch {
				reject(new Error(`site ${site.id}: the client printed ${JSON.stringify(out)}`));
			}
		});
	});
}

/** The backend's conntrack entries for the service port, as zone -> the reply destination (the mapped client). */
function zonesOn(node: RouterNode): Record<string, string> {
	const out = nsRun(node.ns, 'conntrack', ['-L', '-p', 'tcp', '--dport', SERVICE_PORT], { check: false }).stdout;
	const zones: Record<string, string> = {};
	for (const line of out.split('\n')) {
		const zone = /zone=(\d+)/.exec(line)?.[1];
		const dsts = [...line.matchAll(/dst=(\S+)/g)].map((m) => m[1]);
		if (zone && line.includes(`sport=${CLIENT_PORT}`) && line.includes('ESTABLISHED')) zones[zone] = dsts[1] ?? '';
	}
	return zones;
}

function siteRules(node: RouterNode): string {
	return nsRun(node.ns, 'ip', ['rule', 'show'], { check: false }).stdout.split('\n').filter((l) => /^15\d\d:/.test(l)).join('\n');
}

describe.skipIf(skip)('sites with one client subnet (linux platform)', () => {
	it('each site is served at its mapped address, echoes return to the right site, and both identical 5-tuples survive a master crash', async () => {
		const b = await createTestbed({ sites: SITES, clients: 2 });
		bed = b;
		for (const r of b.routers) {
			await haRouterStack.configure(b, r, defaultRole(r));
			addSites(b, r, SITES, '0.1');
		}
		const m = await bootPair(haRouterStack, b, report);
		const standby = b.routers.find((r) => r !== m)!;
		await waitFor('the site VIPs on the master', () => holdsSiteVips(m, SITES), 10_000);
		expect(holdsSiteVips(standby, SITES)).toBe(false);
		// The numbers from the scheme, on both nodes: rules by mark, table names in rt_tables.
		for (const r of b.routers) {
			// (`ip` reads the host's /etc/iproute2, not the node's root: numbers here.)
			expect(siteRules(r)).toBe('1501:\tfrom all fwmark 0x1000000/0xff000000 lookup 18433\n1502:\tfrom all fwmark 0x2000000/0xff000000 lookup 18434');
			expect(readFileSync(path.join(r.root, 'etc/iproute2/rt_tables'), 'utf8')).toContain('18433\tha_branch10\n18434\tha_branch20\n');
		}

		// The backends: the LAN clients, whose default route is the LAN VIP.
		const servers = await startBackends(b);

		// Both sites at once, same client address and port, for 12 s; the master crashes 4 s in.
		const holds = b.sites.map((s) => hold(s, 12_000));
		const zones = await waitFor('both connections in their zones on the master', () => {
			const z = zonesOn(m);
			return Object.keys(z).length === 2 ? z : undefined;
		}, 5_000);
		expect(zones).toEqual({ '18433': '10.0.10.5', '18434': '10.0.20.5' });
		// conntrackd carries the zone: the standby has both entries, each in its own zone.
		expect(await waitFor('both entries on the standby', () => (Object.keys(zonesOn(standby)).length === 2 ? zonesOn(standby) : undefined), 5_000)).toEqual(zones);
		await new Promise((r) => setTimeout(r, 3_000));
		await crash(m);
		await waitFor('the site VIPs on the standby', () => holdsSiteVips(standby, SITES), 10_000);
		const results = await Promise.all(holds);
		report(JSON.stringify(results));
		for (const [i, r] of results.entries()) {
			const id = SITES[i]!;
			expect(r, `site ${id}`).toMatchObject({ seenAs: `10.0.${id}.5:${CLIENT_PORT}`, error: null, wrong: 0 });
			// The last lines may still be in flight when the client stops.
			expect(r.echoed, `site ${id}: echoed of ${r.sent}`).toBeGreaterThanOrEqual(r.sent - 5);
			expect(r.sent).toBeGreaterThan(100);
		}

		// New connections through the survivor, again from the same address and port at both sites.
		const again = await Promise.all(b.sites.map((s) => hold(s, 1_000, '40001')));
		expect(again.map((r) => [r.seenAs, r.error, r.wrong])).toEqual([
			[`10.0.10.5:40001`, null, 0],
			[`10.0.20.5:40001`, null, 0],
		]);

		// A backend stops answering: the survivor's agent takes it out of the map (one element set for all slots) ...
		servers[1]!.kill('SIGKILL');
		const t0 = Date.now();
		const map = () => nsRun(standby.ns, 'nft', ['list', 'map', 'inet', 'ha_router', 'svc_echo'], { check: false }).stdout;
		expect(map()).toContain(b.clients[1]!.addr);
		await waitFor('the dead backend out of the map', () => /elements = \{ 0-1 : 192\.168\.1\.100 \}/.test(map()), 15_000);
		report(`backend out of the map after ${Date.now() - t0} ms (check_interval 1 s)`);
		// ... and every new connection from both sites reaches the other one.
		for (let k = 0; k < 5; k++) {
			const r = await Promise.all(b.sites.map((s) => hold(s, 200, String(40010 + k))));
			expect(r.map((x) => [x.seenAs, x.error])).toEqual(SITES.map((id) => [`10.0.${id}.5:${40010 + k}`, null]));
		}

		// The crash set the old master's links down, and the kernel dropped its site routes with them; the rules stay.
		// Links up again (no daemons: it stays crashed), `ha-router routes` (what hotplug runs on ifup) puts them back.
		const siteRoutes = (node: RouterNode) => nsRun(node.ns, 'ip', ['-N', 'route', 'show', 'table', 'all'], { check: false }).stdout.split('\n').filter((l) => / table 184\d\d/.test(l));
		for (const id of SITES) nsRun(m.ns, 'ip', ['link', 'set', siteDev(id), 'up']);
		expect(siteRoutes(m)).toEqual([]);
		expect(siteRules(m)).not.toBe('');
		const restored = await haRouter(m, ['routes', '--root', m.root, '--config', path.join(m.root, 'etc/config')], 30_000);
		expect(restored.code, restored.stderr).toBe(0);
		expect(siteRoutes(m)).toEqual(SITES.map((id) => `10.0.0.0/24 via 172.16.${id}.2 dev ${siteDev(id)} table ${id === 10 ? 18433 : 18434} `));

		// Teardown on the crashed node (its kernel still holds what apply put there): rules, routes and table gone.
		const torn = await haRouter(m, ['teardown', '--root', m.root, '--config', path.join(m.root, 'etc/config')], 60_000);
		expect(torn.code, torn.stderr).toBe(0);
		expect(siteRules(m)).toBe('');
		expect(nsRun(m.ns, 'ip', ['-N', 'route', 'show', 'table', 'all'], { check: false }).stdout).not.toMatch(/table 184\d\d/);
		expect(nsRun(m.ns, 'nft', ['list', 'table', 'inet', 'ha_router'], { check: false }).code).not.toBe(0);

		// Removing the site sections removes their chains, rules, routes and table names.
		const ha = path.join(standby.root, 'etc/config/ha-router');
		writeFileSync(ha, readFileSync(ha, 'utf8').replace(/\nconfig site '[^']+'\n(\toption [^\n]*\n)*/g, ''));
		const applied = await haRouter(standby, ['apply', '--root', standby.root, '--config', path.join(standby.root, 'etc/config')], 60_000);
		expect(applied.code, applied.stderr).toBe(0);
		expect(nsRun(standby.ns, 'nft', ['list', 'table', 'inet', 'ha_router']).stdout).not.toContain('site_');
		expect(siteRules(standby)).toBe('');
		expect(nsRun(standby.ns, 'ip', ['-N', 'route', 'show', 'table', 'all'], { check: false }).stdout).not.toMatch(/table 184\d\d/);
		// The node had no rt_tables before: the one apply created for the names goes again.
		expect(existsSync(path.join(standby.root, 'etc/iproute2/rt_tables'))).toBe(false);
	}, 180_000);

	it('with several WANs on the pair too: the uplinks mark every connection, and site replies still go back to their site', async () => {
		const b = await createTestbed({ sites: SITES, clients: 2, uplinks: true });
		bed = b;
		for (const r of b.routers) {
			await haRouterStack.configure(b, r, defaultRole(r));
			addSites(b, r, SITES, '0.1');
			addUplinks(r);
		}
		const m = await bootPair(haRouterStack, b, report);
		await waitFor('the site VIPs on the master', () => holdsSiteVips(m, SITES), 10_000);
		expect(nsRun(m.ns, 'nft', ['list', 'chain', 'inet', 'ha_router', 'uplink_prerouting'], { check: false }).code).toBe(0);
		await startBackends(b);
		const results = await Promise.all(b.sites.map((s) => hold(s, 3_000)));
		report(JSON.stringify(results));
		expect(results.map((r) => [r.seenAs, r.error, r.wrong])).toEqual(SITES.map((id) => [`10.0.${id}.5:${CLIENT_PORT}`, null, 0]));
		for (const r of results) expect(r.echoed).toBeGreaterThanOrEqual(r.sent - 5);
		// The connections carry an uplink's mark as well (the uplink chain marks every new forwarded one).
		const marks = nsRun(m.ns, 'conntrack', ['-L', '-p', 'tcp', '--dport', SERVICE_PORT], { check: false }).stdout;
		report(marks);
		expect(marks).toMatch(/zone=18433/);
		expect(marks).toMatch(/mark=[1-9]/);
	}, 120_000);
});
