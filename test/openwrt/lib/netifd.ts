// netifd's `network` and `network.interface.<name>` objects (our own code; contracts C22-C27 and
// C39-C45 in docs/openwrt-contracts.md: openwrt/netifd device.c, macvlan.c, system-linux.c,
// interface.c, interface-ip.c, proto.c, ubus.c, and openwrt/openwrt netifd's proto/dhcp.sh +
// dhcp.script):
//   devices  claimed with a count (device_claim/device_release). The first claim sets the device
//            up: a `config device` macvlan (ifname, macaddr, mode) is created first, and its `ipv6`
//            and `rpfilter` are written to /proc/sys before IFF_UP. The last release deletes such a
//            macvlan; any other device (a port) is left as it is (netifd would set it down).
//   up       answers at once. proto 'none' is up as soon as its device is claimed; proto 'dhcp'
//            runs busybox udhcpc in the namespace (-r <ipaddr>, -R unless norelease '1'), and our
//            dhcp.script reports each lease back with `notify_proto`: netifd sets the address and,
//            unless defaultroute '0', the default route, and runs `hotplug-call iface` (ACTION=ifup,
//            or ifupdate for a renewal with a new address). A device that does not exist: NO_DEVICE.
//   down     stops udhcpc with SIGTERM (it releases only with -R), removes the route and address it
//            added (a removal that fails, because keepalived got there first, is ignored),
//            releases the device, runs the ifdown hotplug.
//   status   up, pending, available, autostart, proto, device (whenever configured), l3_device and
//            uptime (while up), ipv4-address [{address, mask}], route [{target, mask, nexthop,
//            source}], dns-server, inactive.route (the default route defaultroute '0' keeps out),
//            data, errors.
// Static interfaces are reported up with their configured address (the testbed sets it up).
// Hotplug runs are serialized, as netifd's interface-event.c does. `autostart` is netifd's runtime
// flag: `auto` (on unless '0'/'false') when loaded or changed, set by up, cleared by down. At start
// and after every `network reload`, each interface with autostart that is down comes up
// (interface_start_pending); a reload first takes down each interface whose section changed and
// those on a claimed device whose section changed (netifd recreates that device). The file is read
// as netifd reads it: libuci without strict mode, where a second section of a name merges into the first.
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
	/** netifd's runtime autostart. */
	autostart: boolean;
	up: boolean;
	pending: boolean;
	upSince?: number;
	/** The device it holds a claim on, from up until down. */
	device?: string;
	error?: string;
	udhcpc?: ChildProcess;
	lease?: Lease;
	/** The gateway of the default route it added. */
	route?: string;
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
/** libubox uci_blob.c: a bool is '1'/'true' or '0'/'false'; any other value counts as unset. */
const bool = (v: string | undefined) => (v === '1' || v === 'true' ? true : v === '0' || v === 'false' ? false : undefined);
/** system-linux.c system_resolve_rpfilter: 'strict' 1, 'loose' 2, a number 0-2; anything else is not applied. */
function rpfilter(v: string | undefined): number | undefined {
	if (v === 'strict') return 1;
	if (v === 'loose') return 2;
	const n = v !== undefined && /^(0x[0-9a-f]+|[0-9]+)$/i.test(v) ? Number(v) : NaN;
	return n <= 2 ? n : undefined;
}
const sameSection = (a: UciSection | undefined, b: UciSection | undefined) => JSON.stringify(a && [a.type, a.options.map((o) => [o.name, o.values])]) === JSON.stringify(b && [b.type, b.options.map((o) => [o.name, o.values])]);

/**
 * /etc/config/network as netifd loads it: libuci without UCI_FLAG_STRICT (config.c
 * config_init_package), so a `config` whose name is taken reopens that section, retypes it and
 * merges its options (list.c uci_set). Our parser is strict: each section is read on its own.
 */
function loadNetwork(file: string): UciSection[] {
	const out: UciSection[] = [];
	if (!existsSync(file)) return out;
	for (const part of readFileSync(file, 'utf8').split(/^(?=[ \t]*(?:config|c)[ \t])/m)) {
		for (const s of parseUci(part, 'network').sections) {
			const at = s.anonymous ? -1 : out.findIndex((p) => !p.anonymous && p.name === s.name);
			if (at < 0) out.push(s);
			else out[at] = { ...out[at]!, type: s.type, options: [...out[at]!.options.filter((o) => !s.options.some((n) => n.name === o.name)), ...s.options] };
		}
	}
	return out;
}

export class Netifd {
	private ifaces = new Map<string, Iface>();
	private sections: UciSection[] = [];
	/** Claimed devices: who holds them, and whether the first claim created a macvlan. */
	private claims = new Map<string, { users: Set<string>; macvlan: boolean }>();
	private deviceQueue: Promise<unknown> = Promise.resolve();
	private hotplugQueue: Promise<unknown> = Promise.resolve();
	private closed = false;

	constructor(private readonly opts: NetifdOptions) {}

	async start(): Promise<void> {
		this.opts.ubus.add('network', { reload: () => this.reload() });
		await this.reload();
	}

	private async reload(): Promise<Reply> {
		const before = this.sections;
		this.sections = loadNetwork(`${this.opts.root}/etc/config/network`);
		const restart = new Set<Iface>();
		// device_apply_config: a claimed device whose section changed is recreated, its interfaces go down first.
		for (const [dev, c] of this.claims) {
			if (!sameSection(this.deviceSection(dev, before), this.deviceSection(dev))) for (const n of c.users) restart.add(this.ifaces.get(n)!);
		}
		for (const i of [...this.ifaces.values()]) {
			const s = this.sections.find((x) => x.type === 'interface' && x.name === i.name);
			if (!s) {
				// Its section is gone: down, and the ubus object goes with it.
				await this.down(i);
				this.ifaces.delete(i.name);
				this.opts.ubus.objects.delete(`network.interface.${i.name}`);
				continue;
			}
			if (!sameSection(i.config, s)) restart.add(i);
			const auto = bool(opt(s, 'auto')) ?? true;
			if (auto !== (bool(opt(i.config, 'auto')) ?? true)) i.autostart = auto; // interface_change_config
			i.config = s;
		}
		for (const i of restart) await this.down(i);
		for (const s of this.sections) {
			if (s.type !== 'interface' || this.ifaces.has(s.name)) continue;
			const i: Iface = { name: s.name, config: s, autostart: bool(opt(s, 'auto')) ?? true, up: false, pending: false, busy: Promise.resolve() };
			this.ifaces.set(s.name, i);
			this.opts.ubus.add(`network.interface.${s.name}`, this.methods(i));
		}
		for (const i of this.ifaces.values()) if (i.autostart && !i.device) await this.up(i); // interface_start_pending
		return {};
	}

	private methods(i: Iface): Record<string, Handler> {
		return {
			up: () => ((i.autostart = true), void this.up(i), {}),
			down: async () => ((i.autostart = false), await this.down(i), {}),
			status: () => ({ data: [this.status(i)] }),
			notify_proto: (a) => (void this.notify(i, a), {}),
		};
	}

	private status(i: Iface): BlobTable {
		const proto = opt(i.config, 'proto') ?? 'none';
		const dev = opt(i.config, 'device');
		if (proto === 'static') {
			const address = opt(i.config, 'ipaddr');
			return { up: true, pending: false, available: true, autostart: true, proto, device: dev ?? '', l3_device: dev ?? '', 'ipv4-address': address ? [{ address, mask: maskBits(opt(i.config, 'netmask') ?? '255.255.255.255') }] : [], route: [], data: {} };
		}
		const s: BlobTable = { up: i.up, pending: i.pending, available: i.error !== 'NO_DEVICE', autostart: i.autostart, proto };
		if (dev) s.device = dev;
		if (i.up && i.device) {
			const def = i.lease?.router ? [{ target: '0.0.0.0', mask: 0, nexthop: i.lease.router, source: `${i.lease.address}/${i.lease.mask}` }] : [];
			const active = bool(opt(i.config, 'defaultroute')) !== false;
			s.l3_device = i.device;
			s.uptime = Math.floor((Date.now() - (i.upSince ?? Date.now())) / 1000);
			s['ipv4-address'] = i.lease ? [{ address: i.lease.address, mask: i.lease.mask }] : [];
			s.route = active ? def : [];
			s['dns-server'] = [];
			s.inactive = { 'ipv4-address': [], route: active ? [] : def };
		}
		s.data = {};
		if (i.error) s.errors = [{ subsystem: 'interface', code: i.error }];
		return s;
	}

	private ip(args: string[]): Promise<number | null> {
		return runIn(this.opts.ns, ['ip', ...args], { timeoutMs: 10_000 });
	}

	private deviceSection(name: string, sections = this.sections): UciSection | undefined {
		return sections.find((s) => s.type === 'device' && opt(s, 'name') === name);
	}

	/** Claims and releases of devices, one at a time. */
	private devices<T>(step: () => Promise<T>): Promise<T> {
		const next = this.deviceQueue.then(step, step);
		this.deviceQueue = next.catch(() => undefined);
		return next;
	}

	/** device_claim; false when the device cannot be set up (a port that does not exist, a macvlan the kernel refuses). */
	private claim(i: Iface, dev: string): Promise<boolean> {
		return this.devices(async () => {
			const held = this.claims.get(dev);
			if (held) return (held.users.add(i.name), true);
			const s = this.deviceSection(dev);
			const macvlan = opt(s, 'type') === 'macvlan';
			if (macvlan) {
				const mac = opt(s, 'macaddr');
				const mode = opt(s, 'mode');
				if ((await this.ip(['link', 'add', 'link', opt(s, 'ifname') ?? '', 'name', dev, ...(mac ? ['address', mac] : []), 'type', 'macvlan', ...(mode ? ['mode', mode] : [])])) !== 0) return false;
			} else if ((await this.ip(['link', 'show', dev])) !== 0) return false;
			// set_device_state: system_if_apply_settings before system_if_up.
			const ipv6 = bool(opt(s, 'ipv6'));
			const rp = rpfilter(opt(s, 'rpfilter'));
			if (ipv6 !== undefined) await this.sysctl(`ipv6/conf/${dev}/disable_ipv6`, ipv6 ? '0' : '1');
			if (rp !== undefined) await this.sysctl(`ipv4/conf/${dev}/rp_filter`, String(rp));
			await this.ip(['link', 'set', dev, 'up']);
			this.claims.set(dev, { users: new Set([i.name]), macvlan });
			return true;
		});
	}

	/** device_release: the last one deletes a macvlan. */
	private release(i: Iface): Promise<void> {
		const dev = i.device;
		i.device = undefined;
		return this.devices(async () => {
			const held = dev === undefined ? undefined : this.claims.get(dev);
			if (!held || !dev || !held.users.delete(i.name) || held.users.size > 0) return;
			this.claims.delete(dev);
			if (held.macvlan) await this.ip(['link', 'del', dev]);
		});
	}

	private sysctl(key: string, value: string): Promise<number | null> {
		return runIn(this.opts.ns, ['sysctl', '-q', '-w', `net/${key}=${value}`], { timeoutMs: 10_000 });
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
		const proto = opt(i.config, 'proto');
		const devName = opt(i.config, 'device');
		if (this.closed || i.device || (proto !== 'dhcp' && proto !== 'none') || !devName) return;
		i.error = undefined;
		if (!(await this.claim(i, devName))) {
			i.error = 'NO_DEVICE';
			return;
		}
		i.device = devName;
		if (proto === 'none') return this.setUp(i); // proto.c no_proto: PROTO_FLAG_IMMEDIATE
		i.pending = true;
		const requested = opt(i.config, 'ipaddr');
		const argv = ['udhcpc', '-f', '-t', '0', '-i', devName, '-s', `${this.opts.root}/lib/netifd/dhcp.script`, ...(requested ? ['-r', requested] : []), ...(opt(i.config, 'norelease') === '1' ? [] : ['-R'])];
		i.udhcpc = spawnIn(this.opts.ns, argv, { env: { INTERFACE: i.name, MINI_ROOT: this.opts.root } });
		i.udhcpc.on('error', () => {});
	}

	private async setUp(i: Iface): Promise<void> {
		i.up = true;
		i.pending = false;
		i.upSince = Date.now();
		await this.hotplug(i, 'ifup');
	}

	/** A lease from dhcp.script: {action: 'bound'|'renew'|'deconfig', ip, mask, router}. */
	private async notify(i: Iface, a: BlobTable): Promise<void> {
		if (!i.device || this.closed) return;
		if (a.action === 'deconfig') {
			await this.unconfigure(i);
			const wasUp = i.up;
			i.up = false;
			if (wasUp) await this.hotplug(i, 'ifdown');
			return;
		}
		if (typeof a.ip !== 'string') return;
		const lease: Lease = { address: a.ip, mask: typeof a.mask === 'number' ? a.mask : 32, router: typeof a.router === 'string' ? a.router : undefined };
		const changed = i.lease?.address !== lease.address || i.lease.router !== lease.router;
		if (i.lease && i.lease.address !== lease.address) await this.unconfigure(i);
		await this.ip(['-4', 'addr', 'replace', `${lease.address}/${lease.mask}`, 'dev', i.device]);
		// interface-ip.c enable_route: with defaultroute '0' the route stays in netifd's list, never in the kernel.
		if (lease.router && bool(opt(i.config, 'defaultroute')) !== false) {
			await this.ip(['-4', 'route', 'replace', 'default', 'via', lease.router, 'dev', i.device]);
			i.route = lease.router;
		}
		i.lease = lease;
		if (!i.up) await this.setUp(i);
		else if (changed) await this.hotplug(i, 'ifupdate');
	}

	/** What the proto configured goes (interface_ip_flush): its default route, then its address; failures are ignored. */
	private async unconfigure(i: Iface): Promise<void> {
		if (i.device && i.route) await this.ip(['-4', 'route', 'del', 'default', 'via', i.route, 'dev', i.device]);
		if (i.device && i.lease) await this.ip(['-4', 'addr', 'del', `${i.lease.address}/${i.lease.mask}`, 'dev', i.device]);
		i.route = undefined;
		i.lease = undefined;
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
		await this.unconfigure(i);
		await this.release(i);
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
