// The sites' rules and routes against real iproute2, in a namespace of our own: the batch goes in,
// a second replace leaves exactly one copy, the user's own rules and tables stay, and removal takes
// only ours (by number).
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../src/runtime/runtime.ts';
import { renderSiteRoutes } from '../../../src/render/sites.ts';
import { removeSiteRoutes, replaceSiteRoutes } from '../../../src/system/site-routes.ts';
import { nodeRuntime } from '../../support/node-runtime.ts';
import { cases } from '../render/models.ts';

const NS = `hr15-${process.pid}`;
const skip = process.getuid?.() !== 0 || spawnSync('ip', ['-V']).status !== 0;
const ipn = (...a: string[]) => execFileSync('ip', ['-n', NS, ...a], { encoding: 'utf8', timeout: 10_000 });
const base = nodeRuntime();
const rt: Runtime = { ...base, spawn: (argv, o) => base.spawn(['ip', 'netns', 'exec', NS, ...argv], o) };
const model = cases.find((c) => c.name === '14_sites')!.model;

const rules = () => ipn('-4', 'rule', 'show').trim().split('\n');
const tables = () => ipn('-N', '-4', 'route', 'show', 'table', 'all').split('\n').filter((l) => / table \d+/.test(l) && !/ table 25[345] /.test(l)).sort();

describe.skipIf(skip)('site routes (real iproute2)', () => {
	beforeAll(() => {
		execFileSync('ip', ['netns', 'add', NS]);
		ipn('link', 'add', 'site10', 'type', 'veth', 'peer', 'name', 'site20');
		for (const [dev, addr] of [['site10', '172.16.10.11/24'], ['site20', '172.16.20.11/24']] as const) {
			ipn('addr', 'add', addr, 'dev', dev);
			ipn('link', 'set', dev, 'up');
		}
		// Someone else's policy routing, which must survive.
		ipn('rule', 'add', 'fwmark', '0x100/0x3f00', 'lookup', '100', 'pref', '1001');
		ipn('route', 'add', '10.9.0.0/16', 'via', '172.16.10.2', 'table', '100');
	});
	afterAll(() => {
		spawnSync('ip', ['netns', 'del', NS]);
	});

	it('adds every site rule and route once, however often it is replaced', async () => {
		await replaceSiteRoutes(rt, renderSiteRoutes(model));
		await replaceSiteRoutes(rt, renderSiteRoutes(model));
		expect(rules()).toEqual([
			'0:\tfrom all lookup local',
			'1001:\tfrom all fwmark 0x100/0x3f00 lookup 100',
			'18433:\tfrom all fwmark 0x1000000/0xff000000 lookup 18433',
			'18434:\tfrom all fwmark 0x2000000/0xff000000 lookup 18434',
			'32766:\tfrom all lookup main',
			'32767:\tfrom all lookup default',
		]);
		expect(tables()).toEqual(['10.0.0.0/24 via 172.16.10.2 dev site10 table 18433 ', '10.0.0.0/24 via 172.16.20.2 dev site20 table 18434 ', '10.9.0.0/16 via 172.16.10.2 dev site10 table 100 ']);
	});

	it('removes only its own, and a second removal finds nothing to do', async () => {
		await removeSiteRoutes(rt);
		await removeSiteRoutes(rt);
		expect(rules()).toEqual(['0:\tfrom all lookup local', '1001:\tfrom all fwmark 0x100/0x3f00 lookup 100', '32766:\tfrom all lookup main', '32767:\tfrom all lookup default']);
		expect(tables()).toEqual(['10.9.0.0/16 via 172.16.10.2 dev site10 table 100 ']);
	});

	it('a batch that fails says which line, in a sentence', async () => {
		const bad = `${renderSiteRoutes(model)!}route replace 10.0.0.0/24 via 172.16.30.2 dev site30 table 18435\n`;
		await expect(replaceSiteRoutes(rt, bad)).rejects.toThrow(/site30/);
	});
});
