// The lease beacon: the pure encoding, and a round trip through the real conntrack table of a
// network namespace (as conntrackd would replicate it, the entry is all the peer gets).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beaconInsertArgs, parseBeacon, publishLeaseBeacon, readLeaseBeacon } from '../../../src/exec/lease-beacon.ts';
import { nodeRuntime } from '../../support/node-runtime.ts';

const lease = { address: { address: '198.51.100.136', prefix: 24, family: 4 as const }, gateway: '198.51.100.1', since: 5, leaseTime: 3600 };

describe('lease beacon encoding', () => {
	it('puts address, gateway, prefix and lease time into one marked UDP entry', () => {
		expect(beaconInsertArgs(lease)).toEqual(['-I', '-p', 'udp', '-s', '198.51.100.136', '-d', '198.51.100.1', '--sport', '4852', '--dport', '24', '--timeout', '3600', '--mark', '0x48520000']);
		expect(beaconInsertArgs({ ...lease, gateway: null, leaseTime: null })).toEqual(expect.arrayContaining(['-d', '198.51.100.136', '--dport', '1024', '--timeout', '86400']));
	});
	it('reads it back from conntrack -L output and ignores anything else', () => {
		const line = 'udp      17 3597 src=198.51.100.136 dst=198.51.100.1 sport=4852 dport=24 [UNREPLIED] src=198.51.100.1 dst=198.51.100.136 sport=24 dport=4852 mark=1213333504 use=1';
		expect(parseBeacon(`other\n${line}\n`, 9)).toEqual({ ...lease, since: 9, leaseTime: null });
		expect(parseBeacon(line.replace('dport=24', 'dport=1024'), 9)).toMatchObject({ gateway: null, address: { prefix: 24 } });
		expect(parseBeacon(line.replace('mark=1213333504', 'mark=0'), 9)).toBeNull();
		expect(parseBeacon(line.replace('dport=24', 'dport=40'), 9)).toBeNull();
		expect(parseBeacon('', 9)).toBeNull();
	});
});

describe.skipIf(process.getuid?.() !== 0)('lease beacon on the real conntrack table', () => {
	const NS = `hrb-${process.pid}`;
	let dir: string;
	let oldPath: string | undefined;
	beforeAll(() => {
		dir = mkdtempSync(path.join(os.tmpdir(), 'hrb-'));
		execFileSync('ip', ['netns', 'add', NS]);
		// `conntrack` in PATH runs inside the namespace.
		writeFileSync(path.join(dir, 'conntrack'), `#!/bin/sh\nexec ip netns exec ${NS} /usr/sbin/conntrack "$@"\n`);
		chmodSync(path.join(dir, 'conntrack'), 0o755);
		oldPath = process.env.PATH;
		process.env.PATH = `${dir}:${oldPath}`;
	});
	afterAll(() => {
		process.env.PATH = oldPath;
		execFileSync('ip', ['netns', 'del', NS]);
		rmSync(dir, { recursive: true, force: true });
	});
	it('publishes, replaces and reads back the lease', async () => {
		const rt = nodeRuntime();
		expect(await readLeaseBeacon(rt)).toBeNull();
		await publishLeaseBeacon(rt, lease);
		expect(await readLeaseBeacon(rt)).toMatchObject({ address: lease.address, gateway: '198.51.100.1' });
		await publishLeaseBeacon(rt, { ...lease, address: { ...lease.address, address: '198.51.100.140' } });
		const listed = execFileSync('ip', ['netns', 'exec', NS, 'conntrack', '-L', '-p', 'udp'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
		expect(listed.match(/sport=4852 /g)).toHaveLength(1);
		expect(await readLeaseBeacon(rt)).toMatchObject({ address: { address: '198.51.100.140' } });
	});
});
