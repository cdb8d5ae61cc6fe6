// The openwrt platform against UbusTestServer standing in for netifd, rpcd (rc, uci) and procd
// (service): the calls and arguments it sends, and how it reads the replies. The early address
// of a known lease is checked on a real macvlan in a namespace of our own.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemError } from '../../../src/errors.ts';
import { pathsFor } from '../../../src/model/paths.ts';
import type { SharedWan } from '../../../src/model/types.ts';
import type { Runtime } from '../../../src/runtime/runtime.ts';
import { createPlatform } from '../../../src/system/create-platform.ts';
import { openwrtPlatform, serviceInstances, type OpenwrtPlatform } from '../../../src/system/openwrt.ts';
import { ServiceNotInstalled } from '../../../src/system/platform.ts';
import { connectUbus, UbusError } from '../../../src/system/ubus/index.ts';
import type { BlobTable } from '../../../src/system/ubus/blob.ts';
import { nodeRuntime } from '../../support/node-runtime.ts';
import { UbusTestServer } from '../../support/ubus-server.ts';

const NS = `hr4-${process.pid}-owrt`;
const base = nodeRuntime();
const rt: Runtime = { ...base, spawn: (argv, o) => base.spawn(['ip', 'netns', 'exec', NS, ...argv], o) };
const sh = (...a: string[]) => execFileSync(a[0]!, a.slice(1), { encoding: 'utf8', timeout: 10_000 });

const wan: SharedWan = { interface: 'wan', device: 'hawan', parent: 'wan0', macaddr: '02:00:5e:10:20:31', mode: 'private', proto: 'dhcp', requestAddress: null, snatSources: [] };
const netifdStatus = {
	up: true, pending: false, available: true, autostart: true, dynamic: false, uptime: 42, l3_device: 'hawan', proto: 'dhcp', device: 'hawan',
	'ipv4-address': [{ address: '198.51.100.126', mask: 24 }],
	route: [{ target: '0.0.0.0', mask: 0, nexthop: '198.51.100.1', source: '198.51.100.126/32' }],
};

let dir: string;
let server: UbusTestServer;
let p: OpenwrtPlatform;
const calls: string[] = [];
let wanUp = false;
const uciStore: Record<string, string> = {};
const rcState: Record<string, { enabled: boolean; running?: boolean }> = { keepalived: { enabled: true, running: false }, legacy: { enabled: false } };

beforeAll(async () => {
	dir = mkdtempSync(path.join(os.tmpdir(), 'hr4-owrt-'));
	sh('ip', 'netns', 'add', NS);
	sh('ip', '-n', NS, 'link', 'add', 'wan0', 'type', 'veth', 'peer', 'name', 'wan1');
	sh('ip', '-n', NS, 'link', 'set', 'wan0', 'up');
	server = new UbusTestServer(path.join(dir, 'ubus.sock'));
	const log = (name: string) => (args: BlobTable) => (calls.push(`${name} ${JSON.stringify(args)}`), {});
	server.add('network.interface.wan', {
		up: (a) => {
			calls.push(`wan up ${JSON.stringify(a)}`);
			wanUp = true;
			// As netifd does: the macvlan exists only while the interface is up.
			setTimeout(() => spawnSync('ip', ['-n', NS, 'link', 'add', 'link', 'wan0', 'name', 'hawan', 'type', 'macvlan', 'mode', 'private']) && spawnSync('ip', ['-n', NS, 'link', 'set', 'hawan', 'up']), 50);
			return {};
		},
		down: (a) => {
			calls.push(`wan down ${JSON.stringify(a)}`);
			wanUp = false;
			spawnSync('ip', ['-n', NS, 'link', 'del', 'hawan']);
			return {};
		},
		status: () => ({ data: [wanUp ? netifdStatus : { up: false, pending: false, available: true, autostart: false, dynamic: false, proto: 'dhcp', 'ipv4-address': [], route: [] }] }),
	});
	server.add('network', { reload: log('network reload') });
	// procd: {name: {instances: {...}}} for a service with instances, {name: {}} without (contract C12).
	server.add('service', {
		event: log('service event'),
		list: (a) => {
			const n = String(a.name);
			if (!rcState[n]) return { data: [{}] };
			const svc: BlobTable = rcState[n]!.running ? { instances: { instance1: { running: true, pid: 4242, command: [`/usr/sbin/${n}`] } } } : {};
			return { data: [{ [n]: svc }] };
		},
	});
	server.add('rc', {
		list: (a) => {
			const n = String(a.name);
			return { data: [rcState[n] ? { [n]: { start: 50, ...rcState[n] } } : {}] };
		},
		init: (a) => {
			calls.push(`rc init ${JSON.stringify(a)}`);
			if (!rcState[String(a.name)]) return { status: 4 };
			if (a.action === 'enable' || a.action === 'disable') rcState[String(a.name)]!.enabled = a.action === 'enable';
			if (a.action === 'start') rcState[String(a.name)]!.running = true;
			if (a.action === 'stop') rcState[String(a.name)]!.running = false;
			return {};
		},
	});
	server.add('uci', {
		get: (a) => {
			const v = uciStore[`${a.config}.${a.section}.${a.option}`];
			return v === undefined ? { status: 4 } : { data: [{ value: v }] };
		},
		set: (a) => {
			calls.push(`uci set ${JSON.stringify(a)}`);
			for (const [k, v] of Object.entries(a.values as BlobTable)) uciStore[`${a.config}.${a.section}.${k}`] = String(v);
			return {};
		},
		add: (a) => (calls.push(`uci add ${JSON.stringify(a)}`), { data: [{ section: a.name ?? 'cfg0a1b2c' }] }),
		delete: log('uci delete'),
		commit: log('uci commit'),
	});
	await server.start();
	p = openwrtPlatform(rt, await connectUbus(rt, server.path, { transport: 'socket' }));
});

afterAll(async () => {
	p?.close();
	await server?.stop();
	spawnSync('ip', ['netns', 'del', NS]);
	rmSync(dir, { recursive: true, force: true });
});

describe('openwrt platform', () => {
	it('says it talks over the ubus socket', () => {
		expect([p.name, p.transport]).toEqual(['openwrt', 'ubus socket']);
	});

	it('brings the WAN up and down through netifd, and reads its status', async () => {
		calls.length = 0;
		expect(await p.wanStatus(wan)).toEqual({ up: false, device: null, address: null, gateway: null, uptime: null });
		await p.wanUp(wan, null);
		expect(await p.wanStatus(wan)).toEqual({ up: true, device: 'hawan', address: { address: '198.51.100.126', prefix: 24, family: 4 }, gateway: '198.51.100.1', uptime: 42 });
		await p.wanDown(wan);
		expect(calls).toEqual(['wan up {}', 'wan down {}']);
	});

	it('with a known lease, puts its address and default route on the macvlan as soon as netifd creates it', async () => {
		await p.wanUp(wan, { address: { address: '198.51.100.126', prefix: 24, family: 4 }, gateway: '198.51.100.1', since: 0, leaseTime: 300 });
		expect(sh('ip', '-n', NS, '-4', '-o', 'addr', 'show', 'dev', 'hawan')).toContain('inet 198.51.100.126/24');
		expect(sh('ip', '-n', NS, '-4', 'route', 'show', 'default')).toContain('default via 198.51.100.1 dev hawan');
		await p.wanDown(wan);
	});

	it('can stage the known address as the dhcp proto ipaddr (udhcpc -r), reloading netifd only when it changes', async () => {
		const staged = openwrtPlatform(rt, p.ubus, { stageRequestAddress: true, deviceWaitMs: 0 });
		calls.length = 0;
		const known = { address: { address: '198.51.100.127', prefix: 24, family: 4 as const }, gateway: null, since: 0, leaseTime: null };
		await staged.wanUp(wan, known);
		await staged.wanUp(wan, known);
		expect(calls).toEqual(['uci set {"config":"network","section":"wan","values":{"ipaddr":"198.51.100.127"}}', 'network reload {}', 'wan up {}', 'wan up {}']);
		await staged.wanDown(wan);
	});

	it('reloads the network through netifd', async () => {
		calls.length = 0;
		await p.networkReload();
		expect(calls).toEqual(['network reload {}']);
	});

	it('runs init scripts through rc, reads running instances from procd and enabled from rc list', async () => {
		calls.length = 0;
		expect(await p.serviceRunning('keepalived')).toBe(false);
		expect(await p.serviceInstances('keepalived')).toEqual([]);
		await p.service('keepalived', 'start');
		expect(await p.serviceRunning('keepalived')).toBe(true);
		expect(await p.serviceInstances('keepalived')).toEqual([{ name: 'instance1', running: true, pid: 4242 }]);
		expect(await p.serviceEnabled('keepalived')).toBe(true);
		expect(await p.serviceEnabled('legacy')).toBe(false);
		expect(await p.serviceEnabled('missing')).toBe(false);
		await p.setServiceEnabled('legacy', true);
		expect(await p.serviceEnabled('legacy')).toBe(true);
		expect(calls).toEqual(['rc init {"name":"keepalived","action":"start"}', 'rc init {"name":"legacy","action":"enable"}']);
		// rc answers NOT_FOUND for a missing init script: a service that is not installed.
		const e = await p.service('missing', 'restart').catch((x: unknown) => x);
		expect(e).toBeInstanceOf(ServiceNotInstalled);
		await expect(p.service('../etc/passwd', 'start')).rejects.toThrow(SystemError);
	});

	it('reads procd service list replies: instances, none, unknown service', () => {
		expect(serviceInstances({ k: { instances: { a: { running: true, pid: 7 }, b: { running: false } } } }, 'k')).toEqual([
			{ name: 'a', running: true, pid: 7 },
			{ name: 'b', running: false, pid: null },
		]);
		expect(serviceInstances({ k: {} }, 'k')).toEqual([]);
		expect(serviceInstances({}, 'k')).toEqual([]);
	});

	it('offers the ubus uci helpers', async () => {
		calls.length = 0;
		expect(await p.uci.getOption('network', 'wan', 'nosuch')).toBeNull();
		await p.uci.set('ha-router', 'node', { name: 'a', services: ['x', 'y'] });
		expect(await p.uci.add('ha-router', 'vrrp', 'lan', { vrid: '51' })).toBe('lan');
		await p.uci.delete('ha-router', 'lan', 'vrid');
		await p.uci.commit('ha-router');
		expect(calls).toEqual([
			'uci set {"config":"ha-router","section":"node","values":{"name":"a","services":["x","y"]}}',
			'uci add {"config":"ha-router","type":"vrrp","name":"lan","values":{"vrid":"51"}}',
			'uci delete {"config":"ha-router","section":"lan","option":"vrid"}',
			'uci commit {"config":"ha-router"}',
		]);
	});
});

describe('createPlatform', () => {
	it('picks linux without /etc/openwrt_release, openwrt with it', async () => {
		const root = path.join(dir, 'root');
		mkdirSync(path.join(root, 'etc'), { recursive: true });
		const linux = await createPlatform(base, { paths: pathsFor(root) });
		expect([linux.name, linux.transport]).toEqual(['linux', 'iproute2']);
		writeFileSync(path.join(root, 'etc/openwrt_release'), "DISTRIB_ID='OpenWrt'\n");
		const owrt = await createPlatform(base, { paths: pathsFor(root), ubusSocket: server.path });
		expect([owrt.name, owrt.transport]).toEqual(['openwrt', 'ubus socket']);
		owrt.close();
		expect((await createPlatform(base, { name: 'linux', paths: pathsFor(root) })).name).toBe('linux');
	});

	it('refuses an OpenWrt system whose ubus cannot be reached instead of falling back to linux', async () => {
		const root = path.join(dir, 'root');
		const e = await createPlatform(base, { paths: pathsFor(root), ubusSocket: path.join(dir, 'none.sock'), ubus: { program: path.join(dir, 'no-ubus') } }).catch((x: unknown) => x);
		expect(e).toBeInstanceOf(SystemError);
		expect((e as Error).message).toMatch(/OpenWrt system but no ubus/);
	});
});
