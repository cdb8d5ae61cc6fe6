// Our ip rules and the uplinks' tables on a real kernel (a namespace of our own): a sync adds what is
// missing, keeps what is right, removes stale rules of ours and never touches anyone else's; the
// facts come from the devices' addresses and default routes.
import { describe, expect, it } from 'vitest';
import { readUplinkFacts, removeUplinkRouting, syncUplinkRouting, uplinkConnections } from '../../../src/exec/uplinks.ts';
import { pathsFor } from '../../../src/model/paths.ts';
import type { Runtime } from '../../../src/runtime/runtime.ts';
import { nodeRuntime } from '../../support/node-runtime.ts';
import { model, uplink } from '../render/models.ts';
import { haveTools, withNetns } from '../render/netns.ts';

const NS = 'hr5-uplinks-exec';
const base = nodeRuntime();
const rt: Runtime = { ...base, spawn: (argv, o) => base.spawn(['ip', 'netns', 'exec', NS, ...argv], o) };
const m = model({ uplinks: { links: [uplink(1, { device: 'upa' }), uplink(2, { device: 'upb' })], rules: [], snatSources: [] } });
const ours = (rules: string) => rules.split('\n').filter((l) => /^1[89]\d\d:/.test(l));

describe.skipIf(!haveTools(['ip']))('syncUplinkRouting', () => {
	it('adds the rules and routes, keeps right ones, removes only stale ones of ours, and reads the facts', async () => {
		await withNetns(NS, async (ns) => {
			ns.device('upa');
			ns.device('upb');
			ns.address('upa', '10.1.0.2/24');
			ns.exec(['ip', 'route', 'add', 'default', 'via', '10.1.0.1', 'dev', 'upa']);
			const facts = await readUplinkFacts(rt, m, pathsFor('/nonexistent'));
			expect(facts).toEqual({ addresses: { isp1: '10.1.0.2', isp2: null }, gateways: { isp1: '10.1.0.1', isp2: null }, dead: [] });

			await syncUplinkRouting(rt, m, facts.gateways);
			const want = ['1800:\tfrom all lookup main suppress_prefixlength 0', '1801:\tfrom all fwmark 0x10000/0xff0000 lookup 1801', '1802:\tfrom all fwmark 0x20000/0xff0000 lookup 1802'];
			expect(ours(ns.exec(['ip', '-4', 'rule', 'show']).stdout)).toEqual(want);
			expect(ns.exec(['ip', '-4', 'route', 'show', 'table', '1801']).stdout.trim()).toBe('default via 10.1.0.1 dev upa');

			// A stale rule of ours and someone else's rule; the second sync leaves ours as they were.
			ns.exec(['ip', '-4', 'rule', 'add', 'priority', '1805', 'fwmark', '0x50000/0xff0000', 'lookup', '1805']);
			ns.exec(['ip', '-4', 'rule', 'add', 'priority', '1700', 'lookup', '100']);
			await syncUplinkRouting(rt, m, { isp1: null, isp2: null });
			expect(ours(ns.exec(['ip', '-4', 'rule', 'show']).stdout)).toEqual(want);
			expect(ns.exec(['ip', '-4', 'rule', 'show']).stdout).toContain('1700:\tfrom all lookup 100');
			// No gateway any more: the table is emptied (a marked packet falls through to main).
			expect(ns.exec(['ip', '-4', 'route', 'show', 'table', '1801']).stdout.trim()).toBe('');

			await removeUplinkRouting(rt);
			expect(ours(ns.exec(['ip', '-4', 'rule', 'show']).stdout)).toEqual([]);
			expect(ns.exec(['ip', '-4', 'rule', 'show']).stdout).toContain('1700:\tfrom all lookup 100');
		});
	});
});

describe.skipIf(!haveTools(['ip', 'conntrack']))('uplinkConnections', () => {
	it('counts the kernel\'s conntrack entries by their uplink mark bits, whatever the other bits', async () => {
		await withNetns(NS, async (ns) => {
			// conntrack keeps no entry in a namespace until something loads the conntrack hooks there.
			ns.exec(['nft', 'add', 'table', 'ip', 'ct_on']);
			ns.exec(['nft', 'add', 'chain', 'ip', 'ct_on', 'c', '{ type filter hook prerouting priority 0; ct state new counter; }']);
			const entry = (sport: number, mark: number) =>
				ns.exec(['conntrack', '-I', '-p', 'tcp', '-s', '10.9.0.2', '-d', '192.0.2.7', '--sport', String(sport), '--dport', '443', '--state', 'ESTABLISHED', '--timeout', '120', '--mark', String(mark)]);
			for (const [sport, mark] of [[1001, 0x10000], [1002, 0x10000], [1003, 0x01020000], [1004, 0], [1005, 0x30000]] as const) entry(sport, mark);
			expect(await uplinkConnections(rt, m)).toEqual({ isp1: 2, isp2: 1 });
		});
	});
});
