// The model cache: loadNode takes the cached Model only for the very texts it was built from and
// only from this build; anything else (an edit, a broken or foreign cache) builds it from the files.
// And a Model survives the JSON round trip unchanged, whatever sections it has.
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../../src/config/build-model.ts';
import { loadNode } from '../../../src/cli/node.ts';
import { modelCachePath } from '../../../src/exec/model-cache.ts';
import { pathsFor } from '../../../src/model/paths.ts';
import { nodeRuntime } from '../../support/node-runtime.ts';
import { BASE, HA, NET, NETWORK } from '../config/fixtures.ts';

const WAN2 = "\nconfig interface 'wan2'\n\toption device 'eth3'\n\toption proto 'dhcp'\n";
const UPLINKS = "\nconfig uplink 'isp1'\n\toption interface 'wan'\n\toption weight '2'\n\tlist track_ip '192.0.2.53'\n\toption max_loss '20'\n\nconfig uplink 'isp2'\n\toption interface 'wan2'\n\toption track_method 'dns'\n\nconfig uplink_rule\n\tlist dest_ip '203.0.113.0/24'\n\toption use 'isp2'\n";
const SERVICE = "\nconfig service 'web'\n\toption vip '192.168.100.10'\n\tlist port '443'\n\tlist backend '192.168.1.21'\n\tlist backend '192.168.1.22 weight 3'\n";

function node(ha: string, network = NETWORK + WAN2) {
	const root = mkdtempSync(path.join(tmpdir(), 'hr-model-cache-'));
	mkdirSync(path.join(root, 'etc/config'), { recursive: true });
	mkdirSync(path.join(root, 'var/run/ha-router'), { recursive: true });
	writeFileSync(path.join(root, 'etc/config/ha-router'), ha);
	writeFileSync(path.join(root, 'etc/config/network'), network);
	const paths = pathsFor(root);
	const cache = modelCachePath(paths);
	/** Rewrites the cache file through `edit` (to tell whether the next load took it). */
	const tamper = (edit: (c: Record<string, unknown> & { model: { node: { name: string } } }) => void) => {
		const c = JSON.parse(readFileSync(cache, 'utf8'));
		edit(c);
		writeFileSync(cache, JSON.stringify(c));
	};
	return { root, paths, cache, tamper };
}

describe('loadNode with the model cache', () => {
	const rt = nodeRuntime();

	it('keeps the Model it built (0600), and takes it again while the files say the same', async () => {
		const n = node(BASE);
		const built = await loadNode(rt, n.paths);
		expect(statSync(n.cache).mode & 0o777).toBe(0o600);
		n.tamper((c) => (c.model.node.name = 'from-the-cache'));
		expect((await loadNode(rt, n.paths)).node.name).toBe('from-the-cache');
		expect(built.node.name).toBe('ha1');
	});

	it('builds again when either file changed, even by a comment, and caches the new Model', async () => {
		const n = node(BASE);
		await loadNode(rt, n.paths);
		n.tamper((c) => (c.model.node.name = 'stale'));
		writeFileSync(path.join(n.root, 'etc/config/network'), `${NETWORK + WAN2}# edited\n`);
		expect((await loadNode(rt, n.paths)).node.name).toBe('ha1');
		n.tamper((c) => (c.model.node.name = 'stale'));
		writeFileSync(path.join(n.root, 'etc/config/ha-router'), BASE.replace("option priority '100'", "option priority '90'"));
		const m = await loadNode(rt, n.paths);
		expect([m.node.name, m.node.priority]).toEqual(['ha1', 90]);
		expect(JSON.parse(readFileSync(n.cache, 'utf8')).model.node.priority).toBe(90);
	});

	it('ignores a cache of another build, or one that is not JSON, and never fails on it', async () => {
		const n = node(BASE);
		await loadNode(rt, n.paths);
		n.tamper((c) => {
			c.model.node.name = 'other-build';
			c.build = 'ha-router 0.0.1+0000';
		});
		expect((await loadNode(rt, n.paths)).node.name).toBe('ha1');
		writeFileSync(n.cache, '{"build":');
		expect((await loadNode(rt, n.paths)).node.name).toBe('ha1');
	});

	it('is best effort: no run directory, no cache, the same Model', async () => {
		const n = node(BASE);
		const rtNoWrite = nodeRuntime();
		rtNoWrite.writeFileAtomic = () => Promise.reject(Object.assign(new Error('EROFS'), { code: 'EROFS' }));
		expect((await loadNode(rtNoWrite, n.paths)).node.name).toBe('ha1');
	});
});

describe('a Model through JSON', () => {
	it.each([
		['the base pair', BASE],
		['several WANs', BASE + UPLINKS],
		['a balanced service', BASE + SERVICE],
	])('%s comes back equal', (_, ha) => {
		const { model, issues } = buildModel({ haRouter: { path: HA, text: ha }, network: { path: NET, text: NETWORK + WAN2 } });
		expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
		// No property is undefined (JSON would drop it) and nothing changes on the way (Infinity, a Map...).
		expect(JSON.parse(JSON.stringify(model))).toStrictEqual(JSON.parse(JSON.stringify(model, (_k, v) => (v === undefined ? 'undefined!' : v))));
		expect(JSON.parse(JSON.stringify(model))).toEqual(model);
	});
});
