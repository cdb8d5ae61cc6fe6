// netifd's `network` and `network.interface.<name>` objects (our own code; contract: openwrt/netifd
// ubus.c, interface.c, and openwrt/openwrt netifd's proto/dhcp.sh + dhcp.script):
//   up     returns at once; a dhcp interface creates its `config device` macvlan (type, ifname,
//          macaddr) if it names one, then runs busybox udhcpc in the namespace (-r <ipaddr>, -R
//          unless norelease '1'); our dhcp.script reports each lease back with `notify_proto`,
//          netifd sets the address and default route and runs `hotplug-call iface` (ACTION=ifup,
//          or ifupdate for a renewal with a new address).
//   down   stops udhcpc with SIGTERM (it releases only with -R), removes what it configured,
//          deletes the macvlan, runs the ifdown hotplug.
//   status up, pending, available, autostart, proto, device, l3_device, uptime, ipv4-address
//          [{address, mask}], route [{target, mask, nexthop, source}], dns-server, data.
// Static interfaces are reported up with their configured address (the testbed sets it up).
// Hotplug runs are serialized, as netifd's interface-event.c does. dhcp interfaces with
// auto != '0' come up at start; `network reload` restarts an active interface whose section
// changed (down, then up unless auto '0').
import { readFileSync, existsSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { parseUci } from '../../../src/config/uci-parse.ts';
import type { UciSection } from '../../../src/config/uci-types.ts';
import type { BlobTable } from '../../../src/system/ubus/blob.ts';
import type { Handler, Reply, UbusTestServer } from '../../support/ubus-server.ts';
import { runIn, spawnIn } from './spawn-in.ts';

interface Lease {
	address: string;
	mask: number;
	router?: string;
}

interface Iface {
	name: string;
	config: UciSection;
	up: boolean;
	pending: boolean;
	upSince?: number;
	device?: string;
	createdDevice?: string;
	udhcpc?: ChildProcess;
	lease?: Lease;
	/** up and down of one interface run one at a time, in call order (netifd's interface state machine). */
	busy: Promise<unknown>;
}

export interface NetifdOptions {
	root: string;
	ns: string;
	ubus: UbusTestServer;
}

const opt = (s: UciSection | undefined, name: string) => s?.options.find((o) => o.name === name)?.values[0];
const maskBits = (m: string) => m.split('.').reduce((n, o) => n + (Number(o) >>> 0).toString(2).replace(/0/g, '').length, 0);

export class Netifd {
	private ifaces = new Map<string, Iface>();
	private sections: UciSection[] = [];
	private hotplugQueue: Promise<unknown> = Promise.resolve();
	private closed = false;

	constructor(private readonly opts: NetifdOptions) {}

	async start(): Promise<void> {
		this.opts.ubus.add('network', { reload: () => this.reload() });
		await this.reload();
		for (const i of this.ifaces.values()) if (opt(i.config, 'proto') === 'dhcp' && opt(i.config, 'auto') !== '0') await this.up(i);
	}

	/** Re-reads the config; an active interface whose config changed is restarted (or left down when auto '0'). */
	private async reload(): Promise<Reply> {
		const file = `${this.opts.root}/etc/config/network`;
		this.sections = existsSync(file) ? parseUci(readFileSync(file, 'utf8'), 'network').sections : [];
		for (const s of this.sections) {
			if (s.type !== 'interface') continue;
			const known = this.ifaces.get(s.name);
			if (known) {
				const changed = JSON.stringify(known.config.options.map((o) => [o.name, o.values])) !== JSON.stringify(s.options.map((o) => [o.name, o.values]));
				known.config = s;
				if (changed && (known.up || known.udhcpc)) {
					await this.down(known);
					if (opt(s, 'auto') !== '0') await this.up(known);
				}
				continue;
			}
			const i: Iface = { name: s.name, config: s, up: false, pending: false, busy: Promise.resolve() };
			this.ifaces.set(s.name, i);
			this.opts.ubus.add(`network.interface.${s.name}`, this.methods(i));
		}
		return {};
	}

	private methods(i: Iface): Record<string, Handler> {
		return {
			up: () => (void this.up(i), {}),
			down: async () => (await this.down(i), {}),
			status: () => ({ data: [this.status(i)] }),
			notify_proto: (a) => (void this.notify(i, a), {}),
		};
	}

	private status(i: Iface): BlobTable {
		const proto = opt(i.config, 'proto') ?? 'none';
		if (proto === 'static') {
			const address = opt(i.config, 'ipaddr');
			const dev = opt(i.config, 'device') ?? '';
			return { up: true, pending: false, available: true, autostart: true, proto, device: dev, l3_device: dev, 'ipv4-address': address ? [{ address, mask: maskBits(opt(i.config, 'netmask') ?? '255.255.255.255') }] : [], route: [], data: {} };
		}
		const s: BlobTable = { up: i.up, pending: i.pending, available: true, autostart: i.up || i.pending, proto, data: {} };
		if (i.device) s.device = i.device;
		if (i.up && i.lease && i.device) {
			s.l3_device = i.device;
			s.uptime = Math.floor((Date.now() - (i.upSince ?? Date.now())) / 1000);
			s['ipv4-address'] = [{ address: i.lease.address, mask: i.lease.mask }];
			s.route = i.lease.router ? [{ target: '0.0.0.0', mask: 0, nexthop: i.lease.router, source: `${i.lease.address}/${i.lease.mask}` }] : [];
			s['dns-server'] = [];
		}
		return s;
	}

	private ip(args: string[]): Promise<number | null> {
		return runIn(this.opts.ns, ['ip', ...args], { timeoutMs: 10_000 });
	}

	/** One after the other per interface: a down that arrives while up is still creating the device waits for it. */
	private serial(i: Iface, step: () => Promise<void>): Promise<void> {
		const next = i.busy.then(step, step);
		i.busy = next.catch(() => undefined);
		return next;
	}

	private up(i: Iface): Promise<void> {
		return this.serial(i, () => this.doUp(i));
	}

	private down(i: Iface): Promise<void> {
		return this.serial(i, () => this.doDown(i));
	}

	private async doUp(i: Iface): Promise<void> {
		if (this.closed || (i.udhcpc && i.udhcpc.exitCode === null && i.udhcpc.signalCode === null) || opt(i.config, 'proto') !== 'dhcp') return;
		const devName = opt(i.config, 'device');
		if (!devName) return;
		i.pending = true;
		const dev = this.sections.find((s) => s.type === 'device' && opt(s, 'name') === devName);
		if (dev && opt(dev, 'type') === 'macvlan') {
			const mac = opt(dev, 'macaddr');
			const mode = opt(dev, 'mode');
			await this.ip(['link', 'add', 'link', opt(dev, 'ifname') ?? '', 'name', devName, ...(mac ? ['address', mac] : []), 'type', 'macvlan', ...(mode ? ['mode', mode] : [])]);
			i.createdDevice = devName;
		}
		await this.ip(['link', 'set', devName, 'up']);
		i.device = devName;
		const requested = opt(i.config, 'ipaddr');
		const argv = ['udhcpc', '-f', '-t', '0', '-i', devName, '-s', `${this.opts.root}/lib/netifd/dhcp.script`, ...(requested ? ['-r', requested] : []), ...(opt(i.config, 'norelease') === '1' ? [] : ['-R'])];
		i.udhcpc = spawnIn(this.opts.ns, argv, { env: { INTERFACE: i.name, MINI_ROOT: this.opts.root } });
		i.udhcpc.on('error', () => {});
	}

	/** A lease from dhcp.script: {action: 'bound'|'renew'|'deconfig', ip, mask, router}. */
	private async notify(i: Iface, a: BlobTable): Promise<void> {
		if (!i.device || this.closed) return;
		if (a.action === 'deconfig') {
			if (i.lease) await this.ip(['-4', 'addr', 'del', `${i.lease.address}/${i.lease.mask}`, 'dev', i.device]);
			const wasUp = i.up;
			i.lease = undefined;
			i.up = false;
			if (wasUp) await this.hotplug(i, 'ifdown');
			return;
		}
		if (typeof a.ip !== 'string') return;
		const lease: Lease = { address: a.ip, mask: typeof a.mask === 'number' ? a.mask : 32, router: typeof a.router === 'string' ? a.router : undefined };
		const changed = i.lease?.address !== lease.address || i.lease.router !== lease.router;
		if (i.lease && i.lease.address !== lease.address) await this.ip(['-4', 'addr', 'del', `${i.lease.address}/${i.lease.mask}`, 'dev', i.device]);
		await this.ip(['-4', 'addr', 'replace', `${lease.address}/${lease.mask}`, 'dev', i.device]);
		if (lease.router) await this.ip(['-4', 'route', 'replace', 'default', 'via', lease.router, 'dev', i.device]);
		i.lease = lease;
		if (!i.up) {
			i.up = true;
			i.pending = false;
			i.upSince = Date.now();
			await this.hotplug(i, 'ifup');
		} else if (changed) await this.hotplug(i, 'ifupdate');
	}

	private async doDown(i: Iface): Promise<void> {
		const p = i.udhcpc;
		i.udhcpc = undefined;
		if (p && p.exitCode === null && p.signalCode === null) {
			await new Promise<void>((resolve) => {
				const t = setTimeout(() => p.kill('SIGKILL'), 3000);
				p.once('exit', () => (clearTimeout(t), resolve()));
				p.kill('SIGTERM');
			});
		}
		const wasUp = i.up;
		if (i.lease && i.device && !i.createdDevice) await this.ip(['-4', 'addr', 'del', `${i.lease.address}/${i.lease.mask}`, 'dev', i.device]);
		if (i.createdDevice) await this.ip(['link', 'del', i.createdDevice]);
		i.createdDevice = undefined;
		i.device = undefined;
		i.lease = undefined;
		i.up = false;
		i.pending = false;
		if (wasUp) await this.hotplug(i, 'ifdown');
	}

	/** `hotplug-call iface` in the node, one at a time. */
	private hotplug(i: Iface, action: string): Promise<unknown> {
		const env = { ACTION: action, INTERFACE: i.name, ...(i.device ? { DEVICE: i.device } : {}) };
		const run = () => (this.closed ? null : runIn(this.opts.ns, ['busybox', 'sh', `${this.opts.root}/sbin/hotplug-call`, 'iface'], { env, timeoutMs: 60_000 }));
		this.hotplugQueue = this.hotplugQueue.then(run, run);
		return this.hotplugQueue;
	}

	async close(): Promise<void> {
		this.closed = true;
		for (const i of this.ifaces.values()) {
			i.udhcpc?.kill('SIGKILL');
			i.udhcpc = undefined;
		}
		await this.hotplugQueue.catch(() => {});
	}
}
