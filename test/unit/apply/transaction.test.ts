// The apply transaction over real files: identical input changes nothing, and a failure at any
// write or reload leaves every file byte-identical to before.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderTargets, type Reload } from '../../../src/apply/targets.ts';
import { ApplyFailed, applyChanges, diffTargets, type ApplySystem } from '../../../src/apply/transaction.ts';
import { buildModel } from '../../../src/config/build-model.ts';
import { pathsFor, type Paths } from '../../../src/model/paths.ts';
import type { Model } from '../../../src/model/types.ts';
import type { Runtime } from '../../../src/runtime/runtime.ts';
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
	const read = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : null);
	return renderTargets(model, paths, {
		platform,
		conntrackMax: 65536,
		uci: { network: read(`${paths.configDir}/network`), keepalived: read(`${paths.configDir}/keepalived`), firewall: read(`${paths.configDir}/firewall`) },
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
