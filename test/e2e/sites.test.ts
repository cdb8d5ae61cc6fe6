// Issue 15 on the testbed (linux platform): two remote sites with the same client subnet and the same client address,
// each a link into both routers, reach a service on a VIP that the pair balances to two backends on the LAN. The
// backends see each site's client at its own mapped address; every echo comes back to the site that sent it; two
// connections with the same address and port from the two sites are both served, keep their conntrack zones on the
// standby (conntrackd), and both survive a crash of the master. A backend that stops answering leaves the balancer's
// map and new connections all reach the other. Removing the site sections takes the zones, marks, NETMAP, rules and
// table names away.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { crash } from './lib/faults.ts';
import { haRouter, haRouterStack, haRouterUnavailable } from './lib/ha-router-node.ts';
import { nsRun, nsSpawn, waitFor } from './lib/exec.ts';
import { bootPair } from './lib/scenarios.ts';
import { addrsOf, createTestbed, siteAddr, siteDev, type RouterNode, type SiteNode, type Testbed } from './lib/testbed.ts';
import { defaultRole } from './lib/uci-files.ts';

const skip = process.getuid?.() !== 0 || haRouterUnavailable() !== undefined;
const ECHO = path.resolve('test/e2e/lib/meter/site-echo.mjs');
const PORT = '8080';
const SERVICE_VIP = '192.168.100.10';
/** Both sites' clients use this source port: the same 5-tuple reaches the pair twice. */
const CLIENT_PORT = '40000';
const SITES = [10, 20];
const report = (s: string): void => {
	process.stderr.write(`${s}\n`);
};

let bed: Testbed | undefined;
afterEach(async () => {
	await bed?.destroy();
	bed = undefined;
});

const mapped = (id: number): string => `10.0.${id}.0/24`;

/** The site links in the node's network file, and per site a VRRP instance (the site VIP) and the site section. */
function addSites(b: Testbed, node: RouterNode): void {
	const net = path.join(node.root, 'etc/config/network');
	const ha = path.join(node.root, 'etc/config/ha-router');
	const peer = b.routers.find((r) => r !== node)!;
	let n = readFileSync(net, 'utf8');
	let h = readFileSync(ha, 'utf8');
	for (const id of SITES) {
		n += `\nconfig interface '${siteDev(id)}'\n\toption device '${siteDev(id)}'\n\toption proto 'static'\n\toption ipaddr '${siteAddr(node, id)}/24'\n`;
		h += `\nconfig vrrp '${siteDev(id)}'\n\toption interface '${siteDev(id)}'\n\toption vrid '${id}'\n\toption advert_int '0.1'\n\tlist unicast_peer '${siteAddr(peer, id)}'\n\tlist vip '172.16.${id}.1/24'\n`;
		h += `\nconfig site 'branch${id}'\n\toption interface '${siteDev(id)}'\n\toption subnet '10.0.0.0/24'\n\toption mapped '${mapped(id)}'\n\toption gateway '172.16.${id}.2'\n`;
	}
	const backends = b.clients.map((c) => `\tlist backend '${c.addr}'\n`).join('');
	h += `\nconfig service 'echo'\n\toption vip '${SERVICE_VIP}'\n\tlist port '${PORT}'\n${backends}\toption check_interval '1'\n`;
	writeFileSync(net, n);
	writeFileSync(ha, h);
}

function holdsSiteVips(node: RouterNode): boolean {
	return SITES.every((id) => addrsOf(node.ns, siteDev(id)).includes(`172.16.${id}.1/24`));
}

/** One long connection from a site's client, from CLIENT_PORT, to the backend; resolves with what the client saw. */
function hold(site: SiteNode, ms: number, localPort = CLIENT_PORT): Promise<{ seenAs: string | null; sent: number; echoed: number; wrong: number; maxGapMs: number; error: string | null }> {
	const child = bed!.track(nsSpawn(site.ns, process.execPath, [ECHO, 'hold', SERVICE_VIP, PORT, site.client, localPort, `s${site.id}`, String(ms), '50']));
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
	const out = nsRun(node.ns, 'conntrack', ['-L', '-p', 'tcp', '--dport', PORT], { check: false }).stdout;
	const zones: Record<string, string> = {};
	for (const line of out.split('\n')) {
		const zone = /zone=(\d+)/.exec(line)?.[1];
		const dsts = [...line.matchAll(/dst=(\S+)/g)].map((m) => m[1]);
		if (zone && line.includes(`sport=${CLIENT_PORT}`) && line.includes('ESTABLISHED')) zones[zone] = dsts[1] ?? '';
	}
	return zones;
}

function siteRules(node: RouterNode): string {
	return nsRun(node.ns, 'ip', ['rule', 'show'], { check: false }).stdout.split('\n').filter((l) => /^184\d\d:/.test(l)).join('\n');
}

describe.skipIf(skip)('sites with one client subnet (linux platform)', () => {
	it('each site is served at its mapped address, echoes return to the right site, and both identical 5-tuples survive a master crash', async () => {
		const b = await createTestbed({ sites: SITES, clients: 2 });
		bed = b;
		for (const r of b.routers) {
			await haRouterStack.configure(b, r, defaultRole(r));
			addSites(b, r);
		}
		const m = await bootPair(haRouterStack, b, report);
		const standby = b.routers.find((r) => r !== m)!;
		await waitFor('the site VIPs on the master', () => holdsSiteVips(m), 10_000);
		expect(holdsSiteVips(standby)).toBe(false);
		// The numbers from the scheme, on both nodes: rules by mark, table names in rt_tables.
		for (const r of b.routers) {
			// (`ip` reads the host's /etc/iproute2, not the node's root: numbers here.)
			expect(siteRules(r)).toBe('18433:\tfrom all fwmark 0x1000000/0xff000000 lookup 18433\n18434:\tfrom all fwmark 0x2000000/0xff000000 lookup 18434');
			expect(readFileSync(path.join(r.root, 'etc/iproute2/rt_tables'), 'utf8')).toContain('18433\tha_branch10\n18434\tha_branch20\n');
		}

		// The backends: the LAN clients, whose default route is the LAN VIP.
		const servers = await Promise.all(
			b.clients.map((c) => {
				const srv = b.track(nsSpawn(c.ns, process.execPath, [ECHO, 'serve', PORT]));
				return new Promise<typeof srv>((resolve, reject) => {
					srv.stdout!.on('data', (d: Buffer) => d.toString().includes('READY') && resolve(srv));
					srv.on('exit', () => reject(new Error('echo server exited')));
				});
			}),
		);

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
		await waitFor('the site VIPs on the standby', () => holdsSiteVips(standby), 10_000);
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
});
