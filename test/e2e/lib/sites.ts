// Issue 15's sites on the testbed, for test/e2e/sites.test.ts and test/bench/sites.ts: per site a link with
// its own VRRP instance (the site VIP 172.16.<id>.1) and a `config site` mapping the shared client subnet
// 10.0.0.0/24 to 10.0.<id>.0/24; and a balanced service (the echo server on every LAN client).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { nsSpawn } from './exec.ts';
import { addrsOf, siteAddr, siteDev, type RouterNode, type Testbed } from './testbed.ts';

export const SITE_ECHO = path.resolve('test/e2e/lib/meter/site-echo.mjs');
export const SERVICE_PORT = '8080';
export const SERVICE_VIP = '192.168.100.10';

/** The unique subnet a site's clients are mapped to. */
const mapped = (id: number): string => `10.0.${id}.0/24`;

/** The site links in the node's network file, per site a VRRP instance and the site section, and the service
 * with every LAN client as backend. `advertInt` '' leaves the instances at keepalived's default. */
export function addSites(b: Testbed, node: RouterNode, sites: readonly number[], advertInt: string): void {
	const net = path.join(node.root, 'etc/config/network');
	const ha = path.join(node.root, 'etc/config/ha-router');
	const peer = b.routers.find((r) => r !== node)!;
	let n = readFileSync(net, 'utf8');
	let h = readFileSync(ha, 'utf8');
	for (const id of sites) {
		n += `\nconfig interface '${siteDev(id)}'\n\toption device '${siteDev(id)}'\n\toption proto 'static'\n\toption ipaddr '${siteAddr(node, id)}/24'\n`;
		h += `\nconfig vrrp '${siteDev(id)}'\n\toption interface '${siteDev(id)}'\n\toption vrid '${id}'\n${advertInt === '' ? '' : `\toption advert_int '${advertInt}'\n`}\tlist unicast_peer '${siteAddr(peer, id)}'\n\tlist vip '172.16.${id}.1/24'\n`;
		h += `\nconfig site 'branch${id}'\n\toption interface '${siteDev(id)}'\n\toption subnet '10.0.0.0/24'\n\toption mapped '${mapped(id)}'\n\toption gateway '172.16.${id}.2'\n`;
	}
	const backends = b.clients.map((c) => `\tlist backend '${c.addr}'\n`).join('');
	h += `\nconfig service 'echo'\n\toption vip '${SERVICE_VIP}'\n\tlist port '${SERVICE_PORT}'\n${backends}\toption check_interval '1'\n`;
	writeFileSync(net, n);
	writeFileSync(ha, h);
}

export function holdsSiteVips(node: RouterNode, sites: readonly number[]): boolean {
	return sites.every((id) => addrsOf(node.ns, siteDev(id)).includes(`172.16.${id}.1/24`));
}

/** The echo server on every LAN client (the service's backends), once each says READY. */
export async function startBackends(b: Testbed): Promise<ReturnType<typeof nsSpawn>[]> {
	return Promise.all(
		b.clients.map((c) => {
			const srv = b.track(nsSpawn(c.ns, process.execPath, [SITE_ECHO, 'serve', SERVICE_PORT]));
			return new Promise<typeof srv>((resolve, reject) => {
				srv.stdout!.on('data', (d: Buffer) => d.toString().includes('READY') && resolve(srv));
				srv.on('exit', () => reject(new Error('echo server exited')));
			});
		}),
	);
}
