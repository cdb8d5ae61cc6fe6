// The openwrt platform: netifd owns the WAN (network.interface.<name> up/down/status), rpcd's
// `rc` runs and enables init scripts, procd's `service list` says what runs. Notes: docs/system.md,
// contracts: docs/openwrt-contracts.md.

import type { SharedWan } from '../model/types.ts';
import { wanHoldInterface } from '../model/names.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { linkExists, putLeaseUp } from './iproute.ts';
import { checkServiceName } from './service-name.ts';
import { ServiceNotInstalled, type KnownLease, type Platform, type ServiceAction, type ServiceInstance, type WanStatus } from './platform.ts';
import { run } from './run.ts';
import type { BlobTable } from './ubus/blob.ts';
import { findProgram } from './find-program.ts';
import { UbusError } from './ubus/ubus-error.ts';
import type { Ubus } from './ubus/ubus.ts';
import { uciOverUbus, type UciOverUbus } from './uci-ubus.ts';

export interface OpenwrtOptions {
	readonly initDir?: string;
	readonly hotplugCall?: string;
	/**
	 * Also stage `network.<wan>.ipaddr = <known address>` (uncommitted, /tmp/.uci) and reload
	 * netifd before `up`, so its dhcp proto starts `udhcpc -r <address>`. Off by default: it costs
	 * a `network reload` and leaves a pending UCI change (see docs/system.md).
	 */
	readonly stageRequestAddress?: boolean;
	/** How long wanUp waits for netifd to create the macvlan before configuring a known lease. */
	readonly deviceWaitMs?: number;
}

export interface OpenwrtPlatform extends Platform {
	readonly ubus: Ubus;
	readonly uci: UciOverUbus;
}

interface RcEntry {
	enabled?: boolean;
}

const iface = (wan: SharedWan) => `network.interface.${wan.interface}`;

/** WanStatus from netifd's interface status. */
export function wanStatusFromNetifd(s: BlobTable): WanStatus {
	if (s.up !== true) return { up: false, device: null, address: null, gateway: null, uptime: null };
	const addrs = Array.isArray(s['ipv4-address']) ? (s['ipv4-address'] as BlobTable[]) : [];
	const routes = Array.isArray(s.route) ? (s.route as BlobTable[]) : [];
	const a = addrs.find((x) => typeof x?.address === 'string');
	const def = routes.find((r) => r?.target === '0.0.0.0' && r.mask === 0 && typeof r.nexthop === 'string');
	return {
		up: true,
		device: typeof s.l3_device === 'string' ? s.l3_device : typeof s.device === 'string' ? s.device : null,
		address: a ? { address: a.address as string, prefix: typeof a.mask === 'number' ? a.mask : 32, family: 4 } : null,
		gateway: def ? (def.nexthop as string) : null,
		uptime: typeof s.uptime === 'number' ? s.uptime : null,
	};
}

/**
 * procd's `service list {name}`: {<name>: {instances: {<id>: {running, pid, ...}}}}, or {<name>: {}}
 * while it has no instance (a procd init script whose start_service returned early).
 */
export function serviceInstances(reply: BlobTable, name: string): ServiceInstance[] {
	const svc = reply[name];
	const inst = svc && typeof svc === 'object' && !Array.isArray(svc) ? (svc as BlobTable).instances : null;
	if (!inst || typeof inst !== 'object' || Array.isArray(inst)) return [];
	return Object.entries(inst as BlobTable).map(([id, v]) => {
		const i = (v && typeof v === 'object' && !Array.isArray(v) ? v : {}) as BlobTable;
		return { name: id, running: i.running === true, pid: typeof i.pid === 'number' ? i.pid : null };
	});
}

export function openwrtPlatform(rt: Runtime, ubus: Ubus, opts: OpenwrtOptions = {}): OpenwrtPlatform {
	const initDir = opts.initDir ?? '/etc/init.d';
	const uci = uciOverUbus(ubus);

	async function rcList(name: string): Promise<RcEntry | null> {
		const r = await ubus.call('rc', 'list', { name });
		const e = r[name];
		return e && typeof e === 'object' && !Array.isArray(e) ? (e as RcEntry) : null;
	}

	/**
	 * The known lease up at once, unless keepalived carries it already. netifd's udhcpc deconfigures
	 * only what netifd configured: this early address survives.
	 */
	async function preconfigure(wan: SharedWan, known: KnownLease): Promise<void> {
		const end = rt.now() + (opts.deviceWaitMs ?? 2000);
		while (!(await linkExists(rt, wan.device))) {
			if (rt.now() > end) return; // netifd is slow: DHCP will configure it instead
			await rt.sleep(20);
		}
		await putLeaseUp(rt, wan.device, known);
	}

	const platform: OpenwrtPlatform = {
		name: 'openwrt',
		transport: ubus.transport,
		ubus,
		uci,

		async wanPrepare(wan) {
			// netifd creates, configures and keeps it for this interface (render/network.ts).
			await ubus.call(`network.interface.${wanHoldInterface(wan.device)}`, 'up', {});
		},

		async wanUp(wan, known) {
			const v4 = known && known.address.family === 4 ? known : null;
			if (v4 && opts.stageRequestAddress && (await uci.getOption('network', wan.interface, 'ipaddr')) !== v4.address.address) {
				await uci.set('network', wan.interface, { ipaddr: v4.address.address });
				await platform.networkReload();
			}
			await ubus.call(iface(wan), 'up', {});
			if (v4) await preconfigure(wan, v4);
		},

		async wanDown(wan) {
			await ubus.call(iface(wan), 'down', {});
		},

		async wanStatus(wan) {
			return wanStatusFromNetifd(await ubus.call(iface(wan), 'status', {}));
		},

		async networkReload() {
			await ubus.call('network', 'reload', {});
		},


		async service(name: string, action: ServiceAction) {
			checkServiceName(name);
			// rc's init call completes when the script exits (its exit status is not reported);
			// it answers NOT_FOUND when there is no /etc/init.d/<name> (contract C-rc-missing).
			try {
				await ubus.call('rc', 'init', { name, action }, { timeoutMs: 60_000 });
			} catch (e) {
				if (e instanceof UbusError && e.status === 'NOT_FOUND') throw new ServiceNotInstalled(name);
				throw e;
			}
		},

		async serviceInstalled(name) {
			checkServiceName(name);
			return (await rt.stat(`${initDir}/${name}`))?.isFile === true;
		},

		async serviceInstances(name) {
			checkServiceName(name);
			return serviceInstances(await ubus.call('service', 'list', { name }), name);
		},

		async serviceRunning(name) {
			return (await platform.serviceInstances(name)).some((i) => i.running);
		},

		async serviceEnabled(name) {
			checkServiceName(name);
			return (await rcList(name))?.enabled === true;
		},

		async setServiceEnabled(name, enabled) {
			checkServiceName(name);
			await ubus.call('rc', 'init', { name, action: enabled ? 'enable' : 'disable' }, { timeoutMs: 30_000 });
		},

		async hotplugCall(subsystem, env) {
			const prog = await findProgram(rt, opts.hotplugCall ?? '/sbin/hotplug-call');
			if (prog) await run(rt, [prog, subsystem], { env: { ...env }, timeoutMs: 30_000 });
		},

		close() {
			ubus.close();
		},
	};
	return platform;
}
