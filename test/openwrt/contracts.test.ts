// The mini OpenWrt holds OpenWrt's contracts (issue 10): rpcd rc, procd's service registry and
// reload triggers, the stock keepalived/conntrackd init scripts, fw4 includes, netifd's dhcp proto,
// and netifd's device claims for the shared WAN macvlan (C39-C45).
import { existsSync, readFileSync, writeFileSync, symlinkSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUci } from '../../src/config/uci-parse.ts';
import { UbusError } from '../../src/system/ubus/ubus-error.ts';
import { nsRun, nsSpawn, sleep, waitFor } from '../e2e/lib/exec.ts';
import { createNode, ISP_GW, type TestNode } from './lib/node-fixture.ts';

const KEEPALIVED_CONF = `global_defs {
	router_id test
}
vrrp_instance lan {
	state BACKUP
	interface lan0
	virtual_router_id 51
	priority 100
	advert_int 1
	virtual_ipaddress {
		192.168.1.1/24
	}
}
`;

let node: TestNode;

beforeAll(async () => {
	node = await createNode();
}, 60_000);
afterAll(async () => {
	await node?.destroy();
}, 60_000);

const status = async (p: Promise<unknown>) => p.then(() => 'OK', (e: unknown) => (e instanceof UbusError ? e.status : String(e)));
const setUci = (file: string, text: string) => writeFileSync(`${node.root}/etc/config/${file}`, text);
const nft = (...args: string[]) => nsRun(node.ns, 'nft', args, { check: false });

describe('rpcd rc', () => {
	it('answers NOT_FOUND for an init script that does not exist (miniupnpd on a stock image)', async () => {
		expect(await status(node.call('rc', 'init', { name: 'miniupnpd', action: 'start' }))).toBe('NOT_FOUND');
		expect(await node.call('rc', 'list', { name: 'miniupnpd' })).toEqual({});
	});

	it('refuses a bad action or a path as name', async () => {
		expect(await status(node.call('rc', 'init', { name: 'keepalived', action: 'explode' }))).toBe('INVALID_ARGUMENT');
		expect(await status(node.call('rc', 'init', { name: '../init.d/keepalived', action: 'start' }))).toBe('INVALID_ARGUMENT');
	});

	it('lists START/STOP, enabled from the rc.d link, and running for procd scripts', async () => {
		expect(await node.call('rc', 'list', { name: 'keepalived' })).toEqual({ keepalived: { start: 70, stop: 1, enabled: false, running: false } });
		await node.call('rc', 'init', { name: 'keepalived', action: 'enable' });
		expect(existsSync(`${node.root}/etc/rc.d/S70keepalived`)).toBe(true);
		expect((await node.call('rc', 'list', { name: 'keepalived' })).keepalived).toMatchObject({ enabled: true });
		await node.call('rc', 'init', { name: 'keepalived', action: 'disable' });
		expect((await node.call('rc', 'list', { name: 'keepalived' })).keepalived).toMatchObject({ enabled: false });
	});
});

describe('procd and the stock keepalived init script', () => {
	it('answers {} for a service procd does not know', async () => {
		expect(await node.call('service', 'list', { name: 'nosuch' })).toEqual({});
		expect(await status(node.call('service', 'signal', { name: 'nosuch' }))).toBe('NOT_FOUND');
	});

	it("starts nothing while the shipped globals say enabled '0': rc init says OK, procd has {\"keepalived\":{}}", async () => {
		writeFileSync(`${node.root}/etc/keepalived.conf`, KEEPALIVED_CONF);
		setUci('keepalived', `config globals 'globals'\n\toption enabled '0'\n\toption alt_config_file '/etc/keepalived.conf'\n`);
		expect(await status(node.call('rc', 'init', { name: 'keepalived', action: 'start' }))).toBe('OK');
		expect(await node.call('service', 'list', { name: 'keepalived' })).toEqual({ keepalived: {} });
		expect((await node.call('rc', 'list', { name: 'keepalived' })).keepalived).toMatchObject({ running: false });
	});

	it('with enabled 1 runs keepalived on /tmp/keepalived.conf -> alt_config_file, respawned by procd', async () => {
		setUci('keepalived', `config globals 'globals'\n\toption enabled '1'\n\toption alt_config_file '/etc/keepalived.conf'\n`);
		await node.call('rc', 'init', { name: 'keepalived', action: 'start' });
		const list = await node.call('service', 'list', { name: 'keepalived' });
		const inst = (list.keepalived as any).instances.instance1;
		expect(inst).toMatchObject({ running: true, respawn: { threshold: 3600, timeout: 5, retry: 5 } });
		expect(inst.command.slice(0, 4)).toEqual(['/usr/sbin/keepalived', '-n', '-f', `${node.root}/tmp/keepalived.conf`]);
		expect(readFileSync(`${node.root}/tmp/keepalived.conf`, 'utf8')).toBe(KEEPALIVED_CONF);
		expect((await node.call('rc', 'list', { name: 'keepalived' })).keepalived).toMatchObject({ running: true });
		// A second start with the same definition keeps the same process (procd compares instances).
		await node.call('rc', 'init', { name: 'keepalived', action: 'start' });
		expect(((await node.call('service', 'list', { name: 'keepalived' })).keepalived as any).instances.instance1.pid).toBe(inst.pid);
		// A crash: procd starts it again after the respawn timeout.
		process.kill(inst.pid, 'SIGKILL');
		const again = await waitFor('respawn', async () => {
			const i = ((await node.call('service', 'list', { name: 'keepalived' })).keepalived as any).instances.instance1;
			return i.running && i.pid !== inst.pid ? i : undefined;
		}, 10_000, 200);
		expect(again.pid).not.toBe(inst.pid);
	}, 30_000);

	it('reload is SIGHUP to the running instance (same pid); stop removes the service', async () => {
		const pid = ((await node.call('service', 'list', { name: 'keepalived' })).keepalived as any).instances.instance1.pid as number;
		const hups = () => (readFileSync(`${node.root}/var/log/keepalived.instance1.log`, 'utf8').match(/Reloading/g) ?? []).length;
		const before = hups();
		await node.call('rc', 'init', { name: 'keepalived', action: 'reload' });
		await waitFor('keepalived reload in its log', () => hups() > before, 5000, 100);
		expect(((await node.call('service', 'list', { name: 'keepalived' })).keepalived as any).instances.instance1.pid).toBe(pid);
		await node.call('rc', 'init', { name: 'keepalived', action: 'stop' });
		expect(await node.call('service', 'list', { name: 'keepalived' })).toEqual({});
		expect(() => process.kill(pid, 0)).toThrow();
	}, 20_000);

	it('reload while keepalived is not running signals nothing and starts nothing', async () => {
		await node.call('rc', 'init', { name: 'keepalived', action: 'reload' });
		expect(await node.call('service', 'list', { name: 'keepalived' })).toEqual({});
	});

	it('config.change of a package runs `reload` of every service with that reload trigger, after 1 s', async () => {
		writeFileSync(`${node.root}/etc/init.d/probe`, `#!/bin/sh /etc/rc.common\nSTART=50\nUSE_PROCD=1\nstart_service() { return 0; }\nreload_service() { echo reloaded >>"$ROOT/tmp/probe.out"; }\nservice_triggers() { procd_add_reload_trigger probepkg; }\n`, { mode: 0o755 });
		await node.call('rc', 'init', { name: 'probe', action: 'start' });
		await node.call('service', 'event', { type: 'config.change', data: { package: 'otherpkg' } });
		await node.call('service', 'event', { type: 'config.change', data: { package: 'probepkg' } });
		expect(existsSync(`${node.root}/tmp/probe.out`)).toBe(false);
		await waitFor('the trigger', () => existsSync(`${node.root}/tmp/probe.out`), 5000, 100);
		expect(readFileSync(`${node.root}/tmp/probe.out`, 'utf8')).toBe('reloaded\n');
		await node.call('rc', 'init', { name: 'probe', action: 'stop' });
	});
});

describe('conntrackd init script', () => {
	it('starts nothing without /etc/conntrackd/conntrackd.conf', async () => {
		await node.call('rc', 'init', { name: 'conntrackd', action: 'start' });
		expect(await node.call('service', 'list', { name: 'conntrackd' })).toEqual({ conntrackd: {} });
		await node.call('rc', 'init', { name: 'conntrackd', action: 'stop' });
	});
});

describe('fw4', () => {
	const fw4 = (args: string[], env: Record<string, string> = {}) => nsRun(node.ns, 'env', [...Object.entries(env).map(([k, v]) => `${k}=${v}`), `${node.root}/sbin/fw4`, ...args], { check: false, timeoutMs: 40_000 });

	it('loads nftables includes at their positions and skips a missing one with a warning', async () => {
		writeFileSync(`${node.root}/etc/pre.nft`, 'table inet probe_pre {\n\tchain c {\n\t}\n}\n');
		writeFileSync(`${node.root}/etc/input.nft`, 'meta l4proto udp udp dport 4789 counter accept comment "probe-input"\n');
		mkdirSync(`${node.root}/usr/share/nftables.d/ruleset-post`, { recursive: true });
		writeFileSync(`${node.root}/usr/share/nftables.d/ruleset-post/probe.nft`, 'table inet probe_post {\n}\n');
		setUci('firewall', `config defaults\n\toption input 'ACCEPT'\n\nconfig include 'pre'\n\toption type 'nftables'\n\toption path '/etc/pre.nft'\n\toption position 'ruleset-pre'\n\nconfig include 'in'\n\toption type 'nftables'\n\toption path '/etc/input.nft'\n\toption position 'chain-pre'\n\toption chain 'input'\n\nconfig include 'gone'\n\toption type 'nftables'\n\toption path '/etc/missing.nft'\n\toption position 'ruleset-post'\n`);
		expect(await node.mini.initd('firewall', 'restart')).toBe(0);
		expect(nft('list', 'table', 'inet', 'probe_pre').code).toBe(0);
		expect(nft('list', 'table', 'inet', 'probe_post').code).toBe(0);
		expect(nft('list', 'chain', 'inet', 'fw4', 'input').stdout).toContain('probe-input');
		const r = fw4(['reload']);
		expect(r.code).toBe(0);
		expect(r.stderr).toMatch(/specifies unreachable path '\/etc\/missing\.nft', ignoring section/);
	});

	it('stop deletes every table, restart only table inet fw4', async () => {
		expect(await node.mini.initd('firewall', 'restart')).toBe(0);
		expect(nft('list', 'table', 'inet', 'probe_pre').code).toBe(0);
		expect(await node.mini.initd('firewall', 'stop')).toBe(0);
		expect(nft('list', 'tables').stdout.trim()).toBe('');
		expect(await node.mini.initd('firewall', 'start')).toBe(0);
		expect(nft('list', 'table', 'inet', 'fw4').code).toBe(0);
	});

	it('runs a script include with SIGCHLD blocked, and kills it after the timeout', async () => {
		writeFileSync(`${node.root}/etc/probe.include`, `grep SigBlk /proc/self/status >"$MINI_ROOT/tmp/sigblk"\n[ -f "$MINI_ROOT/tmp/hang" ] && sleep 60 >/dev/null 2>&1\n`);
		setUci('firewall', `config include 'probe'\n\toption type 'script'\n\toption path '/etc/probe.include'\n`);
		expect(fw4(['reload']).code).toBe(0);
		const mask = BigInt(`0x${readFileSync(`${node.root}/tmp/sigblk`, 'utf8').split(':')[1]!.trim()}`);
		expect(mask & (1n << 16n)).toBe(1n << 16n); // SIGCHLD is 17: bit 16
		writeFileSync(`${node.root}/tmp/hang`, '');
		const t0 = Date.now();
		const r = fw4(['reload'], { MINI_FW4_INCLUDE_TIMEOUT_MS: '1500' });
		expect(r.stderr).toMatch(/timed out/);
		expect(Date.now() - t0).toBeLessThan(10_000);
	}, 30_000);
});

describe('netifd dhcp on a macvlan device', () => {
	it('up creates the macvlan, gets the lease, runs the ifup hotplug; down deletes it and runs ifdown', async () => {
		setUci('network', `config device\n\toption name 'hawan'\n\toption type 'macvlan'\n\toption ifname 'wan0'\n\toption macaddr '02:00:5e:00:01:01'\n\nconfig interface 'wan'\n\toption device 'hawan'\n\toption proto 'dhcp'\n\toption auto '0'\n\toption norelease '1'\n`);
		await node.call('network', 'reload'); // the stock wan on wan0 goes down, the new one stays down (auto '0')
		expect((await node.call('network.interface.wan', 'status')).up).toBe(false);
		mkdirSync(`${node.root}/etc/hotplug.d/iface`, { recursive: true });
		writeFileSync(`${node.root}/etc/hotplug.d/iface/10-probe`, 'echo "$ACTION $INTERFACE $DEVICE" >>"$MINI_ROOT/tmp/iface.events"\n');
		await node.call('network.interface.wan', 'up');
		const s = await waitFor('the lease', async () => {
			const st = await node.call('network.interface.wan', 'status');
			return st.up === true ? st : undefined;
		}, 15_000, 200);
		expect(s).toMatchObject({ up: true, l3_device: 'hawan', route: [{ target: '0.0.0.0', mask: 0, nexthop: '198.51.100.1' }] });
		const addr = (s['ipv4-address'] as any)[0];
		expect(addr.mask).toBe(24);
		expect(nsRun(node.ns, 'ip', ['-o', 'link', 'show', 'hawan']).stdout).toContain('02:00:5e:00:01:01');
		await waitFor('ifup hotplug', () => existsSync(`${node.root}/tmp/iface.events`), 5000, 100);
		await node.call('network.interface.wan', 'down');
		expect(nsRun(node.ns, 'ip', ['link', 'show', 'hawan'], { check: false }).code).not.toBe(0);
		// The reload's ifdown of the stock wan (on wan0) is queued too and may land after the probe exists.
		const events = readFileSync(`${node.root}/tmp/iface.events`, 'utf8').split('\n').filter((l) => l && !l.endsWith(' wan0'));
		expect(events).toEqual(['ifup wan hawan', 'ifdown wan ']);
		expect((await node.call('network.interface.wan', 'status')).up).toBe(false);
	}, 40_000);

	it('a down that arrives while up still creates the device leaves no stuck interface: the next up gets the lease', async () => {
		// keepalived's MASTER then BACKUP a few ms apart at boot (the e2e pair saw it): up answers at once and
		// works on; the down must wait for it, or the udhcpc that up starts afterwards dies on a deleted device.
		await node.call('network.interface.wan', 'up');
		await node.call('network.interface.wan', 'down');
		expect(nsRun(node.ns, 'ip', ['link', 'show', 'hawan'], { check: false }).code).not.toBe(0);
		await node.call('network.interface.wan', 'up');
		const s = await waitFor('the lease after down during up', async () => {
			const st = await node.call('network.interface.wan', 'status');
			return st.up === true ? st : undefined;
		}, 15_000, 200);
		expect(s).toMatchObject({ up: true, l3_device: 'hawan' });
		await node.call('network.interface.wan', 'down');
	}, 40_000);
});

/**
 * The network config ha-router writes for the shared WAN on both routers (C39-C45): the macvlan
 * claimed by a proto-none interface all the time, wan (dhcp, defaultroute '0') on the same device.
 */
function sharedWan(deviceOptions: Record<string, string> = { ipv6: '0', rpfilter: 'strict' }, deviceSection = 'hawan_dev'): string {
	const dev = Object.entries(deviceOptions).map(([k, v]) => `\toption ${k} '${v}'\n`).join('');
	return `config device '${deviceSection}'\n\toption name 'hawan'\n\toption type 'macvlan'\n\toption ifname 'wan0'\n\toption macaddr '02:00:5e:00:01:01'\n\toption mode 'private'\n${dev}
config interface 'hawan'\n\toption device 'hawan'\n\toption proto 'none'\n\toption auto '1'

config interface 'wan'\n\toption device 'hawan'\n\toption proto 'dhcp'\n\toption auto '0'\n\toption norelease '1'\n\toption defaultroute '0'\n`;
}

describe('netifd: the shared WAN macvlan claimed by a proto-none interface and by wan', () => {
	const ip = (...args: string[]) => nsRun(node.ns, 'ip', args, { check: false });
	const sysctl = (key: string) => nsRun(node.ns, 'sysctl', ['-n', key], { check: false }).stdout.trim();
	const setDefault = (key: string, value: string) => nsRun(node.ns, 'sysctl', ['-q', '-w', `net.${key}=${value}`]);
	/** ifindex and flags of hawan, or null when it does not exist. */
	const hawan = () => {
		const r = ip('-o', 'link', 'show', 'hawan');
		return r.code === 0 ? { ifindex: r.stdout.split(':')[0], up: /[<,]UP[,>]/.test(r.stdout), mac: r.stdout.includes('02:00:5e:00:01:01') } : null;
	};
	const v4 = () => ip('-4', '-o', 'addr', 'show', 'dev', 'hawan').stdout;
	const status = (name: string) => node.call(`network.interface.${name}`, 'status');
	const events = (name: string) => readFileSync(`${node.root}/tmp/iface.events`, 'utf8').split('\n').filter((l) => l.split(' ')[1] === name);
	const lease = () => waitFor('the lease on wan', async () => ((await status('wan')).up === true ? status('wan') : undefined), 15_000, 200);

	beforeAll(() => {
		mkdirSync(`${node.root}/etc/hotplug.d/iface`, { recursive: true });
		writeFileSync(`${node.root}/etc/hotplug.d/iface/10-probe`, 'echo "$ACTION $INTERFACE $DEVICE" >>"$MINI_ROOT/tmp/iface.events"\n');
	});

	it("a proto-none interface creates the macvlan at reload, its ipv6 '0' and rpfilter 'strict' written before it is up", async () => {
		// Kernel defaults that differ from the device's options, so a setting not written shows.
		setDefault('ipv4.conf.default.rp_filter', '0');
		setDefault('ipv6.conf.default.disable_ipv6', '0');
		expect(ip('-6', 'addr', 'show', 'dev', 'wan0').stdout).toContain('inet6 fe80::'); // IPv6 works here: an up link gets a link-local address at once
		expect(hawan()).toBeNull();
		const monitor = nsSpawn(node.ns, 'ip', ['-o', 'monitor', 'address']);
		let seen = '';
		monitor.stdout!.on('data', (d: Buffer) => (seen += d.toString()));
		try {
			await sleep(300);
			setUci('network', sharedWan());
			await node.call('network', 'reload');
			expect(await status('hawan')).toMatchObject({ up: true, proto: 'none', device: 'hawan', l3_device: 'hawan', 'ipv4-address': [], route: [] });
			expect(hawan()).toMatchObject({ up: true, mac: true });
			expect(sysctl('net.ipv6.conf.hawan.disable_ipv6')).toBe('1');
			expect(sysctl('net.ipv4.conf.hawan.rp_filter')).toBe('1');
			await sleep(500);
		} finally {
			monitor.kill('SIGKILL');
		}
		// Written after IFF_UP, disable_ipv6 would come too late: the kernel adds fe80:: on up.
		expect(seen.split('\n').filter((l) => /\bhawan\b.*\binet6\b/.test(l))).toEqual([]);
		expect(ip('-6', 'addr', 'show', 'dev', 'hawan').stdout.trim()).toBe('');
		expect(events('hawan')).toEqual(['ifup hawan hawan']);
		expect((await status('wan')).up).toBe(false); // auto '0'
	}, 30_000);

	it('keeps the macvlan present and up, without an address, while wan goes up and down on it', async () => {
		const before = hawan()!;
		await node.call('network.interface.wan', 'up');
		const s = await lease();
		const address = (s['ipv4-address'] as any)[0].address as string;
		expect(s).toMatchObject({ up: true, device: 'hawan', l3_device: 'hawan' });
		expect(v4()).toContain(`inet ${address}/24`);
		await node.call('network.interface.wan', 'down');
		expect(hawan()).toEqual(before); // the same link (ifindex), still up: the proto-none interface holds it
		expect(v4()).toBe('');
		expect((await status('wan')).up).toBe(false);
		expect(await status('hawan')).toMatchObject({ up: true, l3_device: 'hawan' });
		await node.call('network.interface.wan', 'up');
		await lease(); // and wan comes up on it again
		await node.call('network.interface.wan', 'down');
		expect(hawan()).toEqual(before);
	}, 60_000);

	it("defaultroute '0': wan gets the lease address but no default route; status lists the route as inactive", async () => {
		await node.call('network.interface.wan', 'up');
		const s = await lease();
		const address = (s['ipv4-address'] as any)[0].address as string;
		expect(v4()).toContain(`inet ${address}/24`);
		expect(ip('-4', 'route', 'show', 'default').stdout.trim()).toBe('');
		expect(s.route).toEqual([]);
		expect((s.inactive as any).route).toMatchObject([{ target: '0.0.0.0', mask: 0, nexthop: ISP_GW }]);
		await node.call('network.interface.wan', 'down');
	}, 30_000);

	it('down removes the lease address; one keepalived removed first is no error, and ifdown still runs', async () => {
		await node.call('network.interface.wan', 'up');
		const address = ((await lease())['ipv4-address'] as any)[0].address as string;
		const n = events('wan').length;
		expect(ip('-4', 'addr', 'del', `${address}/24`, 'dev', 'hawan').code).toBe(0);
		await node.call('network.interface.wan', 'down');
		expect((await status('wan')).up).toBe(false);
		expect(events('wan').slice(n)).toEqual(['ifdown wan ']);
		expect(hawan()).toMatchObject({ up: true });
		expect(v4()).toBe('');
	}, 30_000);

	it("a changed device section makes netifd recreate the macvlan (an address on it is lost); rpfilter 'loose' is 2, 'off' is no value", async () => {
		const before = hawan()!;
		expect(ip('-4', 'addr', 'add', '192.0.2.10/32', 'dev', 'hawan').code).toBe(0); // as keepalived's VIP would be
		setUci('network', sharedWan({ ipv6: '0', rpfilter: 'loose' }));
		await node.call('network', 'reload');
		expect(hawan()!.ifindex).not.toBe(before.ifindex);
		expect(v4()).toBe('');
		expect(sysctl('net.ipv4.conf.hawan.rp_filter')).toBe('2');
		expect(await status('hawan')).toMatchObject({ up: true });
		setDefault('ipv4.conf.default.rp_filter', '2');
		setUci('network', sharedWan({ ipv6: '0', rpfilter: 'off' }));
		await node.call('network', 'reload');
		expect(sysctl('net.ipv4.conf.hawan.rp_filter')).toBe('2'); // the kernel's default: 'off' is not written (as 0 or anything)
		setDefault('ipv4.conf.default.rp_filter', '0');
	}, 30_000);

	it('a device and an interface section of one name are one section: uci refuses the file, netifd merges them and wan has NO_DEVICE', async () => {
		const text = sharedWan(undefined, 'hawan');
		expect(() => parseUci(text, 'network')).toThrow(/section of different type overwrites prior section with same name/);
		setUci('network', text);
		await node.call('network', 'reload');
		expect(hawan()).toBeNull();
		await node.call('network.interface.wan', 'up');
		const s = await waitFor('the error of wan', async () => ((await status('wan')).errors ? status('wan') : undefined), 5000, 100);
		expect(s).toMatchObject({ up: false, available: false, errors: [{ subsystem: 'interface', code: 'NO_DEVICE' }] });
		expect(await status('hawan')).toMatchObject({ up: false, proto: 'none' });
		expect(hawan()).toBeNull();
	}, 30_000);
});
