// The linux platform: iproute2, busybox udhcpc and init scripts. It runs the emulated testbed
// and plain Debian routers. Every path comes from Paths, so two nodes on one host never share
// a pid file. Notes on the choices: docs/system.md.

import type { Paths } from '../model/paths.ts';
import type { Cidr, SharedWan } from '../model/types.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { addresses, defaultRoute, ip, linkExists, putLeaseUp } from './iproute.ts';
import { ServiceNotInstalled, type KnownLease, type Platform, type ServiceAction, type WanStatus } from './platform.ts';
import { run } from './run.ts';
import { findProgram } from './find-program.ts';
import { checkServiceName } from './service-name.ts';
import { decodeUtf8 } from '../util/utf8.ts';

export interface LinuxOptions {
	readonly paths: Paths;
	/** Init scripts (default `<root>/etc/init.d`). */
	readonly initDir?: string;
	/** Our udhcpc event script (default `<root>/usr/libexec/ha-router/udhcpc.script`). */
	readonly udhcpcScript?: string;
	readonly udhcpc?: string;
	/** `hotplug-call`, run only if it exists. */
	readonly hotplugCall?: string;
	readonly serviceTimeoutMs?: number;
}

/**
 * The shared-MAC device says nothing while it holds no address: no IPv6 (link-local DAD, RS, MLD),
 * strict reverse-path filtering (a standby has no route through it, so nothing is forwarded from
 * it and no ARP is answered on it: measured), and ARP answers only for its own addresses.
 * OpenWrt's netifd sets the first two from the device section (render/network.ts).
 */
function silentWanSysctls(device: string): [string, string][] {
	return [
		[`net/ipv6/conf/${device}/disable_ipv6`, '1'],
		[`net/ipv4/conf/${device}/rp_filter`, '1'],
		[`net/ipv4/conf/${device}/arp_ignore`, '1'],
	];
}

export function linuxPlatform(rt: Runtime, opts: LinuxOptions): Platform {
	const { paths } = opts;
	const initDir = opts.initDir ?? `${paths.root}/etc/init.d`;
	const script = opts.udhcpcScript ?? `${paths.root}/usr/libexec/ha-router/udhcpc.script`;
	const pidFile = (wan: SharedWan) => `${paths.runDir}/udhcpc-${wan.device}.pid`;
	const sinceFile = (wan: SharedWan) => `${paths.runDir}/wan-${wan.device}.since`;
	const keepFile = (wan: SharedWan) => `${paths.runDir}/udhcpc-${wan.device}.keep`;

	/** The udhcpc pid from our pid file, only if that process is still a udhcpc. */
	async function udhcpcPid(wan: SharedWan): Promise<number | null> {
		const raw = await rt.readFile(pidFile(wan));
		const pid = raw ? Number(decodeUtf8(raw).trim()) : NaN;
		if (!Number.isInteger(pid) || pid <= 1) return null;
		// "pid (comm) state ...": a zombie (Z) is gone for our purposes; its parent may never reap it.
		const stat = await rt.readFile(`/proc/${pid}/stat`).catch(() => null);
		const m = stat && /^\d+ \((.*)\) (\S)/.exec(decodeUtf8(stat));
		return m && m[1] === 'udhcpc' && m[2] !== 'Z' && m[2] !== 'X' ? pid : null;
	}

	/** `keep`: an address is already up (keepalived's or ours); udhcpc's start-up deconfig must leave it. */
	async function startUdhcpc(wan: SharedWan, known: KnownLease | null, keep: boolean): Promise<void> {
		const args = [opts.udhcpc ?? 'udhcpc', '-i', wan.device, '-s', script, '-p', pidFile(wan), '-b', '-S', '-t', '4', '-T', '2', '-A', '5'];
		// -r puts the known address in option 50 of DISCOVER/REQUEST. Never -R: a standby
		// stopping its client must not release the lease the pair shares.
		if (known) args.push('-r', known.address.address);
		if (keep) await rt.writeFileAtomic(keepFile(wan), '', 0o644);
		const env = {
			HA_ROUTER_LEASE_CMD: [...paths.self, 'lease'].join(' '),
			HA_ROUTER_INTERFACE: wan.interface,
			HA_ROUTER_KEEP_FILE: keep ? keepFile(wan) : '',
		};
		// sh backgrounds udhcpc and returns at once; udhcpc -b daemonizes itself (setsid, new pid
		// written to the pid file) when it has a lease, so it outlives us for renewals.
		await run(rt, ['sh', '-c', '"$@" </dev/null >/dev/null 2>&1 &', 'udhcpc', ...args], { env, timeoutMs: 5000 });
		for (let i = 0; i < 50 && (await udhcpcPid(wan)) === null; i++) await rt.sleep(10);
	}

	/** As udhcpcPid, but right after a lease udhcpc forks and rewrites the pid file: give it a moment. */
	async function settledPid(wan: SharedWan): Promise<number | null> {
		let pid = await udhcpcPid(wan);
		for (let i = 0; i < 10 && pid === null && (await rt.stat(pidFile(wan))); i++) {
			await rt.sleep(20);
			pid = await udhcpcPid(wan);
		}
		return pid;
	}

	async function stopUdhcpc(wan: SharedWan): Promise<void> {
		const pid = await settledPid(wan);
		if (pid !== null) {
			// SIGTERM without -R: udhcpc exits without a DHCPRELEASE.
			await run(rt, ['kill', '-TERM', String(pid)], { okCodes: [0, 1] });
			for (let i = 0; i < 100 && (await udhcpcPid(wan)) === pid; i++) await rt.sleep(20);
			if ((await udhcpcPid(wan)) === pid) await run(rt, ['kill', '-KILL', String(pid)], { okCodes: [0, 1] });
		}
		await rt.remove(pidFile(wan));
		await rt.remove(keepFile(wan));
	}

	const platform: Platform = {
		name: 'linux',
		transport: 'iproute2',

		async wanUp(wan, known) {
			await rt.makeDir(paths.runDir);
			await platform.wanPrepare(wan);
			const v4 = known && known.address.family === 4 ? known : null;
			// With a known lease its address is up now (keepalived's or ours); without one, any IPv4 address is kept.
			const keep = v4 ? (await putLeaseUp(rt, wan.device, v4), true) : (await addresses(rt, wan.device)).some((a) => a.family === 4);
			await rt.writeFileAtomic(sinceFile(wan), `${rt.wallClock()}\n`, 0o644);
			if ((await settledPid(wan)) === null) await startUdhcpc(wan, v4, keep);
		},

		async wanPrepare(wan) {
			if (!(await linkExists(rt, wan.device))) {
				await ip(rt, ['link', 'add', 'link', wan.parent, 'name', wan.device, 'address', wan.macaddr, 'type', 'macvlan', 'mode', wan.mode]);
			}
			// Before it is up: an IPv6 link-local would send DAD, RS and MLD from the shared MAC.
			for (const [key, value] of silentWanSysctls(wan.device)) await run(rt, ['sysctl', '-q', '-w', `${key}=${value}`], { timeoutMs: 5000 });
			await ip(rt, ['link', 'set', 'dev', wan.device, 'up']);
		},

		async wanDown(wan) {
			await stopUdhcpc(wan);
			// keepalived removed the address and route it added; this takes what a DHCP client
			// added. The device stays, up and silent, for the next MASTER.
			if (await linkExists(rt, wan.device)) {
				await ip(rt, ['-4', 'route', 'flush', 'dev', wan.device]);
				await ip(rt, ['-4', 'addr', 'flush', 'dev', wan.device]);
			}
			await rt.remove(sinceFile(wan));
		},

		async wanStatus(wan): Promise<WanStatus> {
			const down: WanStatus = { up: false, device: null, address: null, gateway: null, uptime: null };
			if (!(await linkExists(rt, wan.device))) return down;
			const v4 = (await addresses(rt, wan.device)).find((a) => a.family === 4);
			if (!v4) return down;
			const address: Cidr = { address: v4.local, prefix: v4.prefixlen, family: 4 };
			const gw = await defaultRoute(rt, wan.device);
			const since = await rt.readFile(sinceFile(wan));
			const ms = since ? Number(decodeUtf8(since).trim()) : NaN;
			const uptime = Number.isFinite(ms) ? Math.max(0, Math.floor((rt.wallClock() - ms) / 1000)) : null;
			return { up: true, device: wan.device, address, gateway: gw?.gateway ?? null, uptime };
		},

		// No netifd and no procd here: nothing listens for these.
		async networkReload() {},

		async service(name: string, action: ServiceAction) {
			checkServiceName(name);
			// A missing init script is a service that is not installed, not a failed step.
			if (!(await platform.serviceInstalled(name))) throw new ServiceNotInstalled(name);
			await run(rt, [`${initDir}/${name}`, action], { timeoutMs: opts.serviceTimeoutMs ?? 60_000 });
		},

		async serviceInstalled(name) {
			checkServiceName(name);
			return (await rt.stat(`${initDir}/${name}`))?.isFile === true;
		},

		async serviceRunning(name) {
			if (!(await platform.serviceInstalled(name))) return false;
			// rc.common's `running` convention: exit 0 when running.
			const r = await rt.spawn([`${initDir}/${name}`, 'running'], { timeoutMs: opts.serviceTimeoutMs ?? 10_000 }).catch(() => null);
			return r?.code === 0;
		},

		async serviceInstances(name) {
			return (await platform.serviceRunning(name)) ? [{ name: 'instance1', running: true, pid: null }] : [];
		},

		async serviceEnabled(name) {
			checkServiceName(name);
			const st = await rt.stat(`${initDir}/${name}`);
			return !!st?.isFile && (st.mode & 0o111) !== 0;
		},

		// No rc.d here: boot order is the host's business.
		async setServiceEnabled() {},

		async hotplugCall(subsystem, env) {
			const prog = await findProgram(rt, opts.hotplugCall ?? 'hotplug-call');
			if (prog) await run(rt, [prog, subsystem], { env: { ...env }, timeoutMs: 30_000 });
		},

		close() {},
	};
	return platform;
}
