// The linux platform against real iproute2, busybox udhcpc and dnsmasq, in namespaces of our own:
//   hr4-<pid>-isp: dnsmasq on isp0 (198.51.100.1/24)  <-veth->  hr4-<pid>-rtr: wan0, the macvlan parent
// The platform's programs run inside the router namespace through a Runtime whose spawn prefixes
// `ip netns exec`; the udhcpc script (files/usr/libexec/ha-router/udhcpc.script) runs there too.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemError } from '../../../src/errors.ts';
import { pathsFor } from '../../../src/model/paths.ts';
import type { SharedWan } from '../../../src/model/types.ts';
import type { Runtime } from '../../../src/runtime/runtime.ts';
import { ServiceNotInstalled } from '../../../src/system/platform.ts';
import { linuxPlatform } from '../../../src/system/linux.ts';
import type { Platform, WanStatus } from '../../../src/system/platform.ts';
import { nodeRuntime } from '../../support/node-runtime.ts';

const ISP = `hr4-${process.pid}-isp`;
const RTR = `hr4-${process.pid}-rtr`;
const SCRIPT = path.resolve(import.meta.dirname, '../../../files/usr/libexec/ha-router/udhcpc.script');
const sh = (...a: string[]) => execFileSync(a[0]!, a.slice(1), { encoding: 'utf8', timeout: 10_000 });
const inRtr = (...a: string[]) => sh('ip', 'netns', 'exec', RTR, ...a);

let dir: string;
let dnsmasq: ChildProcess | undefined;
let leaseLog: string;
let platform: Platform;
const base = nodeRuntime();
const rt: Runtime = { ...base, spawn: (argv, o) => base.spawn(['ip', 'netns', 'exec', RTR, ...argv], o) };

const wan: SharedWan = {
	interface: 'wan',
	device: 'hawan',
	parent: 'wan0',
	macaddr: '02:00:5e:10:20:30',
	mode: 'private',
	proto: 'dhcp',
	requestAddress: null,
	snatSources: [],
};

async function until<T>(what: string, fn: () => Promise<T> | T, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
	const end = Date.now() + ms;
	for (;;) {
		const v = await fn();
		if (ok(v)) return v;
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}
const reports = () => (existsSync(leaseLog) ? readFileSync(leaseLog, 'utf8').trim().split('\n').filter(Boolean) : []);
const pidOf = (): number | null => {
	const f = path.join(dir, 'root/var/run/ha-router/udhcpc-hawan.pid');
	return existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : null;
};
const alive = (pid: number | null) => {
	const stat = pid !== null && existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
	return /^\d+ \(udhcpc\) [^ZX]/.test(stat);
};

beforeAll(async () => {
	dir = mkdtempSync(path.join(os.tmpdir(), 'hr4-linux-'));
	for (const ns of [ISP, RTR]) {
		sh('ip', 'netns', 'add', ns);
		sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
	}
	sh('ip', 'link', 'add', `hr4i${process.pid % 100000}`, 'netns', ISP, 'type', 'veth', 'peer', 'name', 'wan0', 'netns', RTR);
	sh('ip', '-n', ISP, 'link', 'set', `hr4i${process.pid % 100000}`, 'name', 'isp0');
	sh('ip', '-n', ISP, 'addr', 'add', '198.51.100.1/24', 'dev', 'isp0');
	sh('ip', '-n', ISP, 'link', 'set', 'isp0', 'up');
	sh('ip', '-n', RTR, 'link', 'set', 'wan0', 'up');
	// udhcpc's raw socket drops offers with an unfinished checksum (TESTBED.md).
	sh('ip', 'netns', 'exec', ISP, 'ethtool', '-K', 'isp0', 'tx', 'off');
	dnsmasq = spawn('ip', ['netns', 'exec', ISP, 'dnsmasq', '-k', '--conf-file=/dev/null', '--port=0', '--interface=isp0', '--bind-interfaces',
		'--dhcp-range=198.51.100.100,198.51.100.150,255.255.255.0,300', '--dhcp-option=3,198.51.100.1', `--dhcp-leasefile=${dir}/leases`, '--dhcp-authoritative'], { stdio: 'ignore' });

	leaseLog = path.join(dir, 'leases.log');
	const recorder = path.join(dir, 'lease-recorder');
	writeFileSync(recorder, `#!/bin/sh\necho "$* ip=$ip mask=$mask router=$router lease=$lease" >> '${leaseLog}'\n`);
	chmodSync(recorder, 0o755);
	const root = path.join(dir, 'root');
	mkdirSync(path.join(root, 'etc/init.d'), { recursive: true });
	// self is argv words; the script appends `lease <action> <interface>`.
	platform = linuxPlatform(rt, { paths: pathsFor(root, undefined, [recorder, 'as-self']), udhcpcScript: SCRIPT });
});

afterAll(() => {
	const pid = pidOf();
	if (alive(pid)) spawnSync('kill', ['-9', String(pid)]);
	for (const ns of [RTR, ISP]) {
		// Anything left in our namespaces (udhcpc, dnsmasq), by pid.
		for (const p of spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) spawnSync('kill', ['-9', p]);
		spawnSync('ip', ['netns', 'del', ns]);
	}
	if (dnsmasq?.pid) spawnSync('kill', ['-9', String(dnsmasq.pid)]);
	rmSync(dir, { recursive: true, force: true });
});

describe('linux platform: the shared WAN', () => {
	let first: WanStatus;

	it('reports a WAN that does not exist as down', async () => {
		expect(await platform.wanStatus(wan)).toEqual({ up: false, device: null, address: null, gateway: null, uptime: null });
	});

	it('creates the macvlan with the shared MAC, gets a lease and reports it to ha-router', async () => {
		await platform.wanUp(wan, null);
		const link = JSON.parse(inRtr('ip', '-j', '-d', 'link', 'show', 'dev', 'hawan'))[0];
		expect(link.address).toBe(wan.macaddr);
		expect(link.link).toBe('wan0');
		expect(link.linkinfo.info_kind).toBe('macvlan');
		expect(link.linkinfo.info_data.mode).toBe('private');
		first = await until('a lease', () => platform.wanStatus(wan), (s) => s.up);
		expect(first).toMatchObject({ up: true, device: 'hawan', gateway: '198.51.100.1' });
		expect(first.address).toMatchObject({ prefix: 24, family: 4 });
		expect(first.address!.address).toMatch(/^198\.51\.100\.1[0-5]\d$/);
		expect(first.uptime).toBeGreaterThanOrEqual(0);
		const r = await until('the lease report', reports, (l) => l.some((x) => x.startsWith('as-self lease ifup wan')));
		// Only the bound event: udhcpc's start-up deconfig had nothing to take down, so no ifdown.
		expect(r.filter((x) => !x.includes(' ifup ')), JSON.stringify(r)).toEqual([]);
		expect(r[0]).toBe(`as-self lease ifup wan ip=${first.address!.address} mask=24 router=198.51.100.1 lease=300`);
		expect(alive(pidOf())).toBe(true);
	});

	it('is idempotent: a second wanUp starts no second udhcpc', async () => {
		// Other suites run udhcpc on this host too (pids are not per network namespace): match our pid file.
		const pidFile = path.join(dir, 'root/var/run/ha-router/udhcpc-hawan.pid');
		const count = () => spawnSync('pgrep', ['-c', '-r', 'S,R,D', '-f', `udhcpc .*-p ${pidFile}`], { encoding: 'utf8' }).stdout.trim();
		// Once udhcpc has daemonized after its lease: one process, named in the pid file.
		const [pid] = await until('udhcpc in the background', () => [pidOf(), count()] as const, ([p, c]) => alive(p) && c === '1');
		await platform.wanUp(wan, null);
		expect(pidOf()).toBe(pid);
		expect(count()).toBe('1');
	});

	it('the macvlan is silent: no IPv6, strict reverse-path filter, ARP only for its own addresses', () => {
		const sysctl = (key: string) => inRtr('sysctl', '-n', key).trim();
		expect(sysctl('net.ipv6.conf.hawan.disable_ipv6')).toBe('1');
		expect(sysctl('net.ipv4.conf.hawan.rp_filter')).toBe('1');
		expect(sysctl('net.ipv4.conf.hawan.arp_ignore')).toBe('1');
		expect(inRtr('ip', '-6', 'addr', 'show', 'dev', 'hawan').trim()).toBe('');
	});

	it('wanDown stops udhcpc without releasing the lease; the macvlan stays up with no address', async () => {
		const pid = pidOf();
		await platform.wanDown(wan);
		expect(alive(pid)).toBe(false);
		expect(pidOf()).toBeNull();
		const link = JSON.parse(inRtr('ip', '-j', 'link', 'show', 'dev', 'hawan'))[0];
		expect(link.flags).toContain('UP');
		expect(inRtr('ip', '-4', 'addr', 'show', 'dev', 'hawan').trim()).toBe('');
		expect(inRtr('ip', '-4', 'route', 'show', 'dev', 'hawan').trim()).toBe('');
		expect(await platform.wanStatus(wan)).toMatchObject({ up: false });
		// dnsmasq drops a lease on DHCPRELEASE; ours is still in its lease file.
		expect(readFileSync(path.join(dir, 'leases'), 'utf8')).toContain(`02:00:5e:10:20:30 ${first.address!.address}`);
		await platform.wanDown(wan); // twice is harmless
	});

	it('with a known lease, the address and default route are there at once, before DHCP answers', async () => {
		spawnSync('kill', ['-STOP', String(dnsmasq!.pid)]); // `ip netns exec` execs dnsmasq: same pid
		const before = reports().length;
		try {
			await platform.wanUp(wan, { address: first.address!, gateway: '198.51.100.1', since: Date.now() - 1000, leaseTime: 300 });
			expect(await platform.wanStatus(wan)).toMatchObject({ up: true, address: first.address, gateway: '198.51.100.1' });
			// udhcpc's start-up deconfig has run by now and must have left them alone.
			await new Promise((r) => setTimeout(r, 1500));
			expect(await platform.wanStatus(wan)).toMatchObject({ up: true, address: first.address, gateway: '198.51.100.1' });
			expect(reports().length).toBe(before);
		} finally {
			spawnSync('kill', ['-CONT', String(dnsmasq!.pid)]);
		}
		// Same MAC, same lease: DHCP confirms the address we already use.
		const r = await until('the confirmed lease', reports, (l) => l.length > before && l.slice(before).some((x) => x.includes(' ifup ')), 20_000);
		expect(r.slice(before).find((x) => x.includes(' ifup '))).toContain(`ip=${first.address!.address} `);
		expect((await platform.wanStatus(wan)).address).toEqual(first.address);
		await platform.wanDown(wan);
	});

	it('leaves the address and route keepalived put up alone while DHCP confirms them', async () => {
		// What keepalived does on MASTER with the lease in its WAN part.
		const cidr = `${first.address!.address}/24`;
		inRtr('ip', '-4', 'addr', 'add', cidr, 'dev', 'hawan');
		inRtr('ip', '-4', 'route', 'add', 'default', 'via', '198.51.100.1', 'dev', 'hawan', 'proto', 'keepalived');
		spawnSync('kill', ['-STOP', String(dnsmasq!.pid)]);
		try {
			await platform.wanUp(wan, null);
			await new Promise((r) => setTimeout(r, 1500));
			expect(inRtr('ip', '-4', 'addr', 'show', 'dev', 'hawan')).toContain(cidr);
			expect(inRtr('ip', '-4', 'route', 'show', 'default')).toContain('via 198.51.100.1 dev hawan proto keepalived');
		} finally {
			spawnSync('kill', ['-CONT', String(dnsmasq!.pid)]);
		}
		await platform.wanDown(wan);
	});
});

describe('linux platform: services and hotplug', () => {
	let initDir: string;
	let svcLog: string;
	let p: Platform;
	beforeAll(() => {
		initDir = path.join(dir, 'init.d');
		svcLog = path.join(dir, 'svc.log');
		mkdirSync(initDir, { recursive: true });
		writeFileSync(
			path.join(initDir, 'demo'),
			`#!/bin/sh\necho "$1" >> '${svcLog}'\ncase "$1" in\nstart) touch '${dir}/demo.on' ;;\nstop) rm -f '${dir}/demo.on' ;;\nrunning) [ -e '${dir}/demo.on' ] ;;\nfail) exit 3 ;;\nesac\n`,
		);
		chmodSync(path.join(initDir, 'demo'), 0o755);
		writeFileSync(path.join(initDir, 'disabled'), '#!/bin/sh\n');
		chmodSync(path.join(initDir, 'disabled'), 0o644);
		p = linuxPlatform(base, { paths: pathsFor(path.join(dir, 'root2')), initDir, hotplugCall: path.join(dir, 'hotplug-call') });
	});

	it('runs <initDir>/<name> <action>, and reads running from `running` exit 0', async () => {
		expect(await p.serviceRunning('demo')).toBe(false);
		await p.service('demo', 'start');
		expect(await p.serviceRunning('demo')).toBe(true);
		await p.service('demo', 'reload');
		await p.service('demo', 'stop');
		expect(await p.serviceRunning('demo')).toBe(false);
		expect(readFileSync(svcLog, 'utf8').split('\n').filter((l) => l !== 'running')).toEqual(['start', 'reload', 'stop', '']);
		expect(await p.serviceRunning('missing')).toBe(false);
	});

	it('treats an executable init script as enabled', async () => {
		expect(await p.serviceEnabled('demo')).toBe(true);
		expect(await p.serviceEnabled('disabled')).toBe(false);
		expect(await p.serviceEnabled('missing')).toBe(false);
	});

	it('refuses service names that are paths, and says when a service has no init script (without spawning it)', async () => {
		await expect(p.service('../demo', 'start')).rejects.toThrow(SystemError);
		const e = await p.service('missing', 'start').catch((x: unknown) => x);
		expect(e).toBeInstanceOf(ServiceNotInstalled);
		expect((e as Error).message).toBe('init: missing is not installed (no init script)');
		expect([await p.serviceInstalled('demo'), await p.serviceInstalled('missing')]).toEqual([true, false]);
	});

	it('runs hotplug-call with the variables when it exists, and does nothing otherwise', async () => {
		await p.hotplugCall('keepalived', { ACTION: 'NOTIFY_MASTER', NAME: 'lan' }); // absent: fine
		const out = path.join(dir, 'hotplug.out');
		writeFileSync(path.join(dir, 'hotplug-call'), `#!/bin/sh\necho "$1 $ACTION $NAME" > '${out}'\n`);
		chmodSync(path.join(dir, 'hotplug-call'), 0o755);
		await p.hotplugCall('keepalived', { ACTION: 'NOTIFY_MASTER', NAME: 'lan' });
		expect(readFileSync(out, 'utf8')).toBe('keepalived NOTIFY_MASTER lan\n');
	});
});
