// The mini OpenWrt holds OpenWrt's contracts (issue 10): rpcd rc, procd's service registry and
// reload triggers, the stock keepalived/conntrackd init scripts, fw4 includes, netifd's dhcp proto.
import { existsSync, readFileSync, writeFileSync, symlinkSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UbusError } from '../../src/system/ubus/ubus-error.ts';
import { nsRun, waitFor } from '../e2e/lib/exec.ts';
import { createNode, type TestNode } from './lib/node-fixture.ts';

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
