// `ha-router lease` hands the lease to keepalived: the WAN part keepalived.conf includes follows the lease (this
// node's, or the master's beacon on a standby), keepalived is reloaded only when that part changed and it runs, and
// the SNAT rule follows. Real conntrack and nft, in a throwaway network namespace; keepalived's init script is a
// stub that logs its calls.
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lease } from '../../../src/cli/lease.ts';
import { pathsFor } from '../../../src/model/paths.ts';
import { nodeRuntime, tempDir } from '../../support/node-runtime.ts';
import { BASE, NETWORK } from '../config/fixtures.ts';
import { haveTools, withNetns, type Netns } from '../render/netns.ts';

const tools = haveTools(['ip', 'nft', 'conntrack']);

async function node(ns: Netns) {
	const root = await tempDir();
	await mkdir(path.join(root, 'etc/config'), { recursive: true });
	await writeFile(path.join(root, 'etc/config/ha-router'), BASE);
	await writeFile(path.join(root, 'etc/config/network'), NETWORK);
	await mkdir(path.join(root, 'etc/init.d'), { recursive: true });
	const calls = path.join(root, 'keepalived.calls');
	await writeFile(calls, '');
	const init = path.join(root, 'etc/init.d/keepalived');
	// `running` exits 0: keepalived runs.
	await writeFile(init, `#!/bin/sh\necho "$1" >> '${calls}'\nexit 0\n`);
	await chmod(init, 0o755);
	const base = nodeRuntime({ env: { ip: '', mask: '', router: '', lease: '', subnet: '' } });
	const inNs = (vars: Record<string, string> = {}) => {
		const rt = nodeRuntime({ env: { ip: '', mask: '', router: '', lease: '', subnet: '', ...vars } });
		return { ...rt, spawn: (argv: readonly string[], o?: Parameters<typeof rt.spawn>[1]) => base.spawn(['ip', 'netns', 'exec', ns.name, ...argv], o) };
	};
	const paths = pathsFor(root);
	const reloads = async () => (await readFile(calls, 'utf8')).split('\n').filter((l) => l === 'reload').length;
	const wanPart = () => readFile(paths.keepalivedWan, 'utf8');
	return { root, inNs, reloads, wanPart };
}

describe.skipIf(!tools)('ha-router lease hands the lease to keepalived', () => {
	it('ifup writes the WAN part, reloads keepalived once and points SNAT at the lease; the same lease again changes nothing', async () => {
		await withNetns('hr5-lease-a', async (ns) => {
			const n = await node(ns);
			const bound = { ip: '198.51.100.7', mask: '24', router: '198.51.100.1', lease: '300' };
			expect(await lease.run(n.inNs(bound), ['--root', n.root, 'ifup', 'wan'])).toBe(0);
			expect(await n.wanPart()).toContain('virtual_ipaddress_excluded {\n\t198.51.100.7/24 dev hawan\n}');
			expect(await n.wanPart()).toContain('virtual_routes {\n\t0.0.0.0/0 via 198.51.100.1 dev hawan\n}');
			expect(await n.reloads()).toBe(1);
			expect(ns.exec(['nft', 'list', 'table', 'inet', 'ha_router']).stdout).toContain('snat ip to 198.51.100.7');
			// A renewal of the same lease: no reload (a MASTER's keepalived is left alone).
			expect(await lease.run(n.inNs(bound), ['--root', n.root, 'ifupdate', 'wan'])).toBe(0);
			expect(await n.reloads()).toBe(1);
		});
	});

	it("refresh takes the master's beacon over this node's own older lease, and follows it when it changes", async () => {
		await withNetns('hr5-lease-b', async (ns) => {
			const n = await node(ns);
			// This node's lease from its last turn as master.
			expect(await lease.run(n.inNs({ ip: '198.51.100.7', mask: '24', router: '198.51.100.1', lease: '300' }), ['--root', n.root, 'ifup', 'wan'])).toBe(0);
			// The master's beacon, as conntrackd replicates it: a new address and gateway.
			const beacon = (addr: string, gw: string) => {
				ns.exec(['conntrack', '-D', '-p', 'udp', '--orig-port-src', '4852']);
				const r = ns.exec(['conntrack', '-I', '-p', 'udp', '-s', addr, '-d', gw, '--sport', '4852', '--dport', '24', '--timeout', '300', '--mark', '0x48520000']);
				expect(r.code, r.stderr).toBe(0);
			};
			beacon('203.0.113.20', '203.0.113.1');
			expect(await lease.run(n.inNs(), ['--root', n.root, 'refresh'])).toBe(0);
			expect(await n.wanPart()).toContain('203.0.113.20/24 dev hawan');
			expect(await n.wanPart()).toContain('via 203.0.113.1 dev hawan');
			expect(await n.reloads()).toBe(2);
			expect(ns.exec(['nft', 'list', 'table', 'inet', 'ha_router']).stdout).toContain('snat ip to 203.0.113.20');
			// Unchanged beacon: nothing to do.
			expect(await lease.run(n.inNs(), ['--root', n.root, 'refresh'])).toBe(0);
			expect(await n.reloads()).toBe(2);
			beacon('203.0.113.21', '203.0.113.1');
			expect(await lease.run(n.inNs(), ['--root', n.root, 'refresh'])).toBe(0);
			expect(await n.wanPart()).toContain('203.0.113.21/24 dev hawan');
			expect(await n.reloads()).toBe(3);
			// Nothing readable for a moment (no beacon, no lease.json): the known lease stays.
			ns.exec(['conntrack', '-D', '-p', 'udp', '--orig-port-src', '4852']);
			await rm(pathsFor(n.root).leaseFile);
			expect(await lease.run(n.inNs(), ['--root', n.root, 'refresh'])).toBe(0);
			expect(await n.wanPart()).toContain('203.0.113.21/24 dev hawan');
			expect(await n.reloads()).toBe(3);
		});
	});

	it('refresh refuses extra words with a usage error, and does nothing without a shared WAN', async () => {
		await withNetns('hr5-lease-c', async (ns) => {
			const n = await node(ns);
			await expect(lease.run(n.inNs(), ['--root', n.root, 'refresh', 'wan'])).rejects.toMatchObject({ code: 2 });
			await writeFile(path.join(n.root, 'etc/config/ha-router'), BASE.replace(/config wan 'wan'[^]*?(?=config sync)/, ''));
			expect(await lease.run(n.inNs(), ['--root', n.root, 'refresh'])).toBe(0);
			expect(await n.reloads()).toBe(0);
		});
	});
});
