// The apply transaction over real files: identical input changes nothing, and a failure at any
// write or reload leaves every file byte-identical to before.
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderTargets, type Reload } from '../../../src/apply/targets.ts';
import { ApplyFailed, applyChanges, diffTargets, type ApplySystem } from '../../../src/apply/transaction.ts';
import { buildModel } from '../../../src/config/build-model.ts';
import { pathsFor, type Paths } from '../../../src/model/paths.ts';
import type { Model } from '../../../src/model/types.ts';
import type { Runtime } from '../../../src/runtime/runtime.ts';
import { decodeUtf8 } from '../../../src/util/utf8.ts';
import { nodeRuntime, tempDir } from '../../support/node-runtime.ts';

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8');

let root: string;
let paths: Paths;
let model: Model;

function snapshot(): Record<string, string | null> {
	const files = [paths.keepalivedConf, paths.conntrackdConf, paths.nftRuleset, `${paths.configDir}/network`, `${paths.configDir}/keepalived`, `${paths.configDir}/firewall`, `${root}/etc/ha-router/fw4-input.nft`];
	return Object.fromEntries(files.map((f) => [f, existsSync(f) ? readFileSync(f, 'utf8') : null]));
}

function targets(platform: 'openwrt' | 'linux' = 'openwrt') {
	// As apply reads them: bytes through decodeUtf8, which keeps bytes that are not UTF-8.
	const read = (p: string) => (existsSync(p) ? decodeUtf8(readFileSync(p)) : null);
	return renderTargets(model, paths, {
		platform,
		conntrackMax: 65536,
		uci: { network: read(`${paths.configDir}/network`), keepalived: read(`${paths.configDir}/keepalived`), firewall: read(`${paths.configDir}/firewall`), dhcp: read(`${paths.configDir}/dhcp`) },
	});
}

function recorder(failReload?: Reload): ApplySystem & { reloads: Reload[]; checks: string[] } {
	const sys = {
		reloads: [] as Reload[],
		checks: [] as string[],
		async check(t: { path: string }) {
			sys.checks.push(t.path);
		},
		async reload(r: Reload) {
			sys.reloads.push(r);
			if (r === failReload) throw new Error(`${r} reload broke`);
		},
	};
	return sys;
}

/** A runtime whose n-th atomic write fails (ENOSPC), as a full flash would. */
function failingWrites(n: number): Runtime {
	const rt = nodeRuntime();
	let count = 0;
	return {
		...rt,
		async writeFileAtomic(p, data, mode) {
			if (++count === n) throw Object.assign(new Error(`ENOSPC: no space left on device, write '${p}'`), { code: 'ENOSPC' });
			return rt.writeFileAtomic(p, data, mode);
		},
	};
}

beforeEach(async () => {
	root = await tempDir();
	paths = pathsFor(root, `${root}/etc/config`, ['/usr/bin/ha-router']);
	mkdirSync(paths.configDir, { recursive: true });
	writeFileSync(`${paths.configDir}/ha-router`, fixture('ha-router'));
	writeFileSync(`${paths.configDir}/network`, fixture('network'));
	writeFileSync(`${paths.configDir}/keepalived`, "config globals 'globals'\n\toption default_script_user 'root'\n");
	const built = buildModel({ haRouter: { path: '/etc/config/ha-router', text: fixture('ha-router') }, network: { path: '/etc/config/network', text: fixture('network') } });
	expect(built.issues.filter((i) => i.severity === 'error')).toEqual([]);
	model = built.model!;
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('apply transaction', () => {
	it('writes every changed file with its mode and reloads in dependency order', async () => {
		const rt = nodeRuntime();
		const sys = recorder();
		const res = await applyChanges(rt, await diffTargets(rt, targets()), sys, `${root}/etc/ha-router/previous`);
		expect(sys.reloads).toEqual(['network', 'conntrackd', 'keepalived', 'nft', 'firewall']);
		expect(res.changes.map((c) => c.path)).toHaveLength(7);
		expect(statSync(paths.keepalivedConf).mode & 0o777).toBe(0o600);
		expect(statSync(paths.conntrackdConf).mode & 0o777).toBe(0o644);
		// The previous network file is kept.
		expect(readFileSync(`${root}/etc/ha-router/previous${paths.configDir}/network`, 'utf8')).toBe(fixture('network'));
		expect(readFileSync(`${paths.configDir}/keepalived`, 'utf8')).toContain(`option alt_config_file '${paths.keepalivedConf}'`);
	});

	it('a second apply finds nothing to change and reloads nothing', async () => {
		const rt = nodeRuntime();
		await applyChanges(rt, await diffTargets(rt, targets()), recorder(), null);
		const again = await diffTargets(rt, targets());
		expect(again).toEqual([]);
		const sys = recorder();
		expect(await applyChanges(rt, again, sys, null)).toEqual({ changes: [], reloaded: [] });
		expect(sys.reloads).toEqual([]);
		expect(sys.checks).toEqual([]);
	});

	it('rewrites a file whose mode was changed by hand', async () => {
		const rt = nodeRuntime();
		await applyChanges(rt, await diffTargets(rt, targets()), recorder(), null);
		(await import('node:fs')).chmodSync(paths.keepalivedConf, 0o644);
		expect((await diffTargets(rt, targets())).map((c) => c.path)).toEqual([paths.keepalivedConf]);
	});

	it('keeps every byte of the user network file that the edit does not concern', async () => {
		const rt = nodeRuntime();
		await applyChanges(rt, await diffTargets(rt, targets('linux')), recorder(), null);
		const after = readFileSync(`${paths.configDir}/network`, 'utf8');
		const before = fixture('network');
		// Everything up to the wan interface is untouched, comment included.
		const head = before.slice(0, before.indexOf("config interface 'wan'"));
		expect(after.startsWith(head)).toBe(true);
		expect(after).toContain('# my LAN bridge');
	});

	it('keeps latin-1 and other non-UTF-8 bytes of untouched lines byte for byte', async () => {
		const network = `${paths.configDir}/network`;
		const head = Buffer.from("# caf\xe9 \xff\xfe, and UTF-8: caf\xc3\xa9\n\nconfig misc 'm'\n\toption note 'na\xefve \xc3'\n\n", 'latin1');
		const before = Buffer.concat([head, readFileSync(network)]);
		writeFileSync(network, before);
		const rt = nodeRuntime();
		await applyChanges(rt, await diffTargets(rt, targets('linux')), recorder(), `${root}/etc/ha-router/previous`);
		const after = readFileSync(network);
		const untouched = before.indexOf("config interface 'wan'");
		expect(after.subarray(0, untouched).equals(before.subarray(0, untouched))).toBe(true);
		expect(readFileSync(`${root}/etc/ha-router/previous${network}`).equals(before)).toBe(true);
		// Nothing left to change: the bytes compare equal on the next run.
		expect((await diffTargets(rt, targets('linux'))).map((c) => c.path)).toEqual([]);
	});

	it('writes through a symlinked network file to its target and keeps the link, as uci commit does', async () => {
		const network = `${paths.configDir}/network`;
		mkdirSync(`${root}/data`);
		writeFileSync(`${root}/data/network`, readFileSync(network));
		rmSync(network);
		symlinkSync('../../data/network', network);
		const rt = nodeRuntime();
		await applyChanges(rt, await diffTargets(rt, targets('linux')), recorder(), null);
		expect(lstatSync(network).isSymbolicLink()).toBe(true);
		expect(readlinkSync(network)).toBe('../../data/network');
		expect(readFileSync(`${root}/data/network`, 'utf8')).toContain("option type 'macvlan'");
		expect(statSync(`${root}/data/network`).mode & 0o777).toBe(0o644);
		expect(readdirSync(`${root}/data`)).toEqual(['network']);
		expect(readdirSync(paths.configDir).filter((n) => n.includes('.tmp'))).toEqual([]);
		expect(await diffTargets(rt, targets('linux'))).toEqual([]);
	});

	it('refuses a dangling symlink and a symlink loop with a sentence, leaving them as they were', async () => {
		const network = `${paths.configDir}/network`;
		rmSync(network);
		symlinkSync('/nonexistent/network', network);
		const rt = nodeRuntime();
		// Found while comparing, before anything is written; the seam's write refuses it too.
		const dangling = await diffTargets(rt, targets('linux')).catch((e) => e);
		expect(dangling.message).toBe(`${network} is a symbolic link to '/nonexistent/network', which does not exist: create that file or replace the link by a file`);
		expect((await rt.writeFileAtomic(network, 'x', 0o644).catch((e) => e)).message).toBe(dangling.message);
		expect(readlinkSync(network)).toBe('/nonexistent/network');

		rmSync(network);
		symlinkSync('network2', network);
		symlinkSync('network', `${paths.configDir}/network2`);
		const loop = await diffTargets(rt, targets('linux')).catch((e) => e);
		expect(loop.message).toBe(`${network} is a symbolic link that leads back to itself: point it at a file or replace it by one`);
		const write = await rt.writeFileAtomic(network, 'x', 0o644).catch((e) => e);
		expect(write.message).toBe(loop.message);
		expect(readlinkSync(network)).toBe('network2');
	});

	for (const failing of ['network', 'conntrackd', 'keepalived', 'nft', 'firewall'] as const) {
		it(`a failed ${failing} reload restores every file and reloads again`, async () => {
			const rt = nodeRuntime();
			const before = snapshot();
			const sys = recorder(failing);
			const err = await applyChanges(rt, await diffTargets(rt, targets()), sys, null).catch((e) => e);
			expect(err).toBeInstanceOf(ApplyFailed);
			expect(err.message).toBe(`reload ${failing}: ${failing} reload broke`);
			expect(snapshot()).toEqual(before);
			// The reloads that ran before the failure (and the failing one) ran again on the old files.
			const ran = sys.reloads.slice(0, sys.reloads.indexOf(failing) + 1);
			expect(sys.reloads).toEqual([...ran, ...ran]);
		});
	}

	for (let n = 1; n <= 7; n++) {
		it(`a failed write #${n} restores every file`, async () => {
			const before = snapshot();
			const rt = failingWrites(n);
			const err = await applyChanges(rt, await diffTargets(rt, targets()), recorder(), null).catch((e) => e);
			expect(err).toBeInstanceOf(ApplyFailed);
			expect(err.message).toMatch(/^write .*: ENOSPC/);
			expect(snapshot()).toEqual(before);
		});
	}

	it('a failed check changes nothing at all', async () => {
		const rt = nodeRuntime();
		const before = snapshot();
		const sys = { ...recorder(), check: async () => Promise.reject(new Error('keepalived: Line 3 bad')) };
		const err = await applyChanges(rt, await diffTargets(rt, targets()), sys, null).catch((e) => e);
		expect(err).toMatchObject({ wrote: false });
		expect(err.message).toMatch(/^check .*keepalived.conf: keepalived: Line 3 bad/);
		expect(snapshot()).toEqual(before);
	});
});
