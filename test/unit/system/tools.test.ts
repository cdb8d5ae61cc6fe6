// conntrackd, nft and ip helpers against the real programs inside a network namespace of our own.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemError } from '../../../src/errors.ts';
import { ConntrackdBusyError, conntrackd, parseStats } from '../../../src/system/conntrackd.ts';
import { addresses, fixVipLocalRoute, localRoute, restoreVipLocalRoute } from '../../../src/system/iproute.ts';
import { nftApply, nftCheck, nftListTable } from '../../../src/system/nft.ts';
import { nodeRuntime } from '../../support/node-runtime.ts';

const rt = nodeRuntime();
const NS = `hr4-${process.pid}-tools`;
let dir: string;
const sh = (...a: string[]) => execFileSync(a[0]!, a.slice(1), { encoding: 'utf8', timeout: 10_000 });

/** A program that runs `real` inside our namespace, so the helpers need no netns option. */
function inNs(real: string): string {
	const p = path.join(dir, real);
	writeFileSync(p, `#!/bin/sh\nexec ip netns exec ${NS} ${real} "$@"\n`);
	chmodSync(p, 0o755);
	return p;
}

beforeAll(() => {
	dir = mkdtempSync(path.join(os.tmpdir(), 'hr4-tools-'));
	sh('ip', 'netns', 'add', NS);
	sh('ip', '-n', NS, 'link', 'set', 'lo', 'up');
	sh('ip', '-n', NS, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1');
	sh('ip', '-n', NS, 'addr', 'add', '198.51.100.10/24', 'dev', 'eth0');
	sh('ip', '-n', NS, 'link', 'set', 'eth0', 'up');
	sh('ip', '-n', NS, 'link', 'set', 'eth1', 'up');
});

afterAll(() => {
	spawnSync('ip', ['netns', 'pids', NS], { encoding: 'utf8' })
		.stdout.split('\n')
		.filter(Boolean)
		.forEach((pid) => spawnSync('kill', ['-9', pid]));
	spawnSync('ip', ['netns', 'del', NS]);
	rmSync(dir, { recursive: true, force: true });
});

describe('nft', () => {
	const good = 'table inet hr4_test {\n\tchain srcnat {\n\t\ttype nat hook postrouting priority srcnat - 1; policy accept;\n\t\tip saddr 192.0.2.0/24 oifname "eth0" snat ip to 198.51.100.10\n\t}\n}\n';
	it('checks a script without loading it, and reports the error lines of a bad one', async () => {
		const nft = inNs('nft');
		await nftCheck(rt, good, { program: nft });
		expect(await nftListTable(rt, 'inet', 'hr4_test', { program: nft })).toBeNull();
		const e = await nftCheck(rt, 'table inet hr4_test {\n\tchain c {\n\t\tbogus statement\n\t}\n}\n', { program: nft }).catch((x: unknown) => x);
		expect(e).toBeInstanceOf(SystemError);
		expect((e as SystemError).program).toBe('nft');
		expect((e as SystemError).stderr).toMatch(/Error: /);
		expect((e as SystemError).message).toMatch(/^nft: -c -f -: \/dev\/stdin:3/);
	});
	it('loads a whole document in one transaction: all or nothing', async () => {
		const nft = inNs('nft');
		await nftApply(rt, good, { program: nft });
		expect(await nftListTable(rt, 'inet', 'hr4_test', { program: nft })).toMatch(/snat ip to 198\.51\.100\.10/);
		// The second table is fine, the flush+redefinition of the first is not: nothing changes.
		const bad = 'table inet hr4_other {\n}\nflush table inet hr4_test\ntable inet hr4_test {\n\tchain srcnat {\n\t\tsnat ip to nonsense\n\t}\n}\n';
		await expect(nftApply(rt, bad, { program: nft })).rejects.toThrow(SystemError);
		expect(await nftListTable(rt, 'inet', 'hr4_other', { program: nft })).toBeNull();
		expect(await nftListTable(rt, 'inet', 'hr4_test', { program: nft })).toMatch(/snat ip to 198\.51\.100\.10/);
	});
});

describe('ip: the VIP local route', () => {
	it('gives the VIP local route the primary address as source; a standby deletes it', async () => {
		const o = { netns: NS };
		sh('ip', '-n', NS, 'addr', 'add', '198.51.100.1/32', 'dev', 'eth0');
		expect(await localRoute(rt, '198.51.100.1', o)).toMatchObject({ dst: '198.51.100.1', prefsrc: '198.51.100.1', dev: 'eth0' });
		await fixVipLocalRoute(rt, '198.51.100.1', 'eth0', '198.51.100.10', o);
		await fixVipLocalRoute(rt, '198.51.100.1', 'eth0', '198.51.100.10', o); // idempotent
		expect(sh('ip', '-n', NS, 'route', 'show', 'table', 'local', '198.51.100.1')).toMatch(/local 198\.51\.100\.1 dev eth0 proto kernel scope host src 198\.51\.100\.10/);
		await restoreVipLocalRoute(rt, '198.51.100.1', 'eth0', o);
		expect(await localRoute(rt, '198.51.100.1', o)).toBeNull();
		sh('ip', '-n', NS, 'addr', 'del', '198.51.100.1/32', 'dev', 'eth0');
		expect(await localRoute(rt, '198.51.100.1', o)).toBeNull();
		await restoreVipLocalRoute(rt, '198.51.100.1', 'eth0', o); // VIP gone: nothing to do
		expect(await addresses(rt, 'eth0', o)).toEqual([{ family: 4, local: '198.51.100.10', prefixlen: 24 }]);
	});
	it('deletes the changed local route the kernel leaves behind when the VIP goes away', async () => {
		const o = { netns: NS };
		sh('ip', '-n', NS, 'addr', 'add', '198.51.100.2/32', 'dev', 'eth0');
		await fixVipLocalRoute(rt, '198.51.100.2', 'eth0', '198.51.100.10', o);
		// keepalived removes the VIP; the route with our source stays, claiming the address.
		sh('ip', '-n', NS, 'addr', 'del', '198.51.100.2/32', 'dev', 'eth0');
		expect(await localRoute(rt, '198.51.100.2', o)).toMatchObject({ prefsrc: '198.51.100.10' });
		await restoreVipLocalRoute(rt, '198.51.100.2', 'eth0', o);
		expect(await localRoute(rt, '198.51.100.2', o)).toBeNull();
	});
	it('a standby restore while the VIP is still there leaves nothing behind once keepalived removes it (a /24 VIP beside the primary)', async () => {
		const o = { netns: NS };
		// keepalived adds the VIP as a secondary address of the LAN subnet; the kernel gives its local route src <primary>.
		sh('ip', '-n', NS, 'addr', 'add', '198.51.100.4/24', 'dev', 'eth0');
		await fixVipLocalRoute(rt, '198.51.100.4', 'eth0', '198.51.100.10', o);
		await restoreVipLocalRoute(rt, '198.51.100.4', 'eth0', o);
		// The standby neither delivers to nor answers ARP for the VIP from now on...
		expect(await localRoute(rt, '198.51.100.4', o)).toBeNull();
		sh('ip', '-n', NS, 'addr', 'del', '198.51.100.4/24', 'dev', 'eth0');
		// ...and nothing outlives the address.
		expect(await localRoute(rt, '198.51.100.4', o)).toBeNull();
	});
	it('creates no local route for a VIP the device does not hold', async () => {
		const o = { netns: NS };
		await fixVipLocalRoute(rt, '198.51.100.3', 'eth0', '198.51.100.10', o);
		expect(await localRoute(rt, '198.51.100.3', o)).toBeNull();
	});
	it('reports a failing ip command as a SystemError with its message', async () => {
		const e = await fixVipLocalRoute(rt, '198.51.100.1', 'nosuchdev', '198.51.100.10', { netns: NS }).catch((x: unknown) => x);
		expect(e).toBeInstanceOf(SystemError);
		expect((e as SystemError).message).toMatch(/^ip: .*Device "nosuchdev" does not exist/);
	});
});

describe('conntrackd', () => {
	let conf: string;
	let log: string;
	beforeAll(async () => {
		conf = path.join(dir, 'conntrackd.conf');
		log = path.join(dir, 'conntrackd.log');
		writeFileSync(
			conf,
			`Sync {
	Mode FTFW {
	}
	UDP {
		IPv4_address 198.51.100.10
		IPv4_Destination_Address 198.51.100.11
		Port 3780
		Interface eth0
		Checksum on
	}
}
General {
	LogFile ${log}
	LockFile ${dir}/conntrackd.lock
	UNIX {
		Path ${dir}/conntrackd.ctl
	}
	Filter From Userspace {
		Protocol Accept {
			TCP
			UDP
		}
	}
}
`,
		);
		sh('ip', 'netns', 'exec', NS, 'conntrackd', '-C', conf, '-d');
		for (let i = 0; i < 50 && spawnSync('ip', ['netns', 'exec', NS, 'conntrackd', '-C', conf, '-s']).status !== 0; i++) await new Promise((r) => setTimeout(r, 100));
	});

	it('runs the takeover and standby commands against the daemon', async () => {
		const c = conntrackd(rt, conf, { program: inNs('conntrackd'), logFile: log });
		await c.commit();
		await c.resyncKernel();
		await c.bulkSend();
		await c.resetTimers();
		await c.requestResync();
		await new Promise((r) => setTimeout(r, 200));
		await c.flush('internal');
	});

	it('parses -s into numbers, and sees a kernel entry arrive in the internal cache', async () => {
		const c = conntrackd(rt, conf, { program: inNs('conntrackd') });
		sh('ip', 'netns', 'exec', NS, 'conntrack', '-I', '-p', 'udp', '-s', '198.51.100.10', '-d', '198.51.100.20', '--sport', '4000', '--dport', '5000', '-t', '120');
		let counts = await c.cacheCounts();
		for (let i = 0; i < 30 && counts.internal === 0; i++) {
			await new Promise((r) => setTimeout(r, 100));
			counts = await c.cacheCounts();
		}
		expect(counts).toEqual({ internal: 1, external: 0 });
		const s = await c.stats();
		expect(s['cache internal']).toMatchObject({ 'current active connections': 1, failed: 0 });
		expect(s['traffic processed']?.Bytes).toBeTypeOf('number');
		expect((await c.stats('cache'))['cache internal']?.['active objects']).toBe(1);
	});

	it('turns a flush the daemon ignored into ConntrackdBusyError', async () => {
		// The daemon's side of that race cannot be forced; a stand-in client writes what it logs.
		const fake = path.join(dir, 'fake-conntrackd');
		const flog = path.join(dir, 'fake.log');
		writeFileSync(flog, '[notice] old line: commit still in progress\n');
		writeFileSync(fake, `#!/bin/sh\necho '[ERROR] ignoring flush command, commit still in progress' >> '${flog}'\n`);
		chmodSync(fake, 0o755);
		const c = conntrackd(rt, conf, { program: fake, logFile: flog });
		await expect(c.flush()).rejects.toBeInstanceOf(ConntrackdBusyError);
		// An old line alone is not a failure.
		writeFileSync(fake, '#!/bin/sh\nexit 0\n');
		appendFileSync(flog, 'x\n');
		await c.flush();
	});

	it('reports a stopped daemon as a SystemError with the client message', async () => {
		const c = conntrackd(rt, conf, { program: inNs('conntrackd') });
		await c.stats();
		spawnSync('ip', ['netns', 'exec', NS, 'conntrackd', '-C', conf, '-k']);
		await new Promise((r) => setTimeout(r, 300));
		const e = await c.commit().catch((x: unknown) => x);
		expect(e).toBeInstanceOf(SystemError);
		expect((e as SystemError).code).toBe(1);
		expect((e as SystemError).message).toMatch(/can't connect/);
	});
});

it('parses conntrackd -s output as printed by 1.4.7', () => {
	const text = `cache internal:
current active connections:	           4
connections created:		           5	failed:	           0

UDP traffic (active device=eth0):
                   8 Bytes sent                    0 Bytes recv
                   0 Error send                    0 Error recv
`;
	expect(parseStats(text)).toEqual({
		'cache internal': { 'current active connections': 4, 'connections created': 5, failed: 0 },
		'UDP traffic (active device=eth0)': { 'Bytes sent': 8, 'Bytes recv': 0, 'Error send': 0, 'Error recv': 0 },
	});
});
