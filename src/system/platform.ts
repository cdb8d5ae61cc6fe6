// The operations ha-router performs on a router, whichever platform it runs on.
// openwrt.ts implements them with ubus (netifd, rpcd rc/uci, procd); linux.ts with iproute2,
// udhcpc and init scripts. Callers never know which one they got.

import { SystemError } from '../errors.ts';
import type { Cidr, SharedWan, WanLease } from '../model/types.ts';

export type PlatformName = 'openwrt' | 'linux';

export interface WanStatus {
	readonly up: boolean;
	/** The L3 device while up. */
	readonly device: string | null;
	readonly address: Cidr | null;
	readonly gateway: string | null;
	/** Seconds since the interface (and so the lease) came up; null while down. */
	readonly uptime: number | null;
}

/** A WAN lease as remembered in /var/run/ha-router/lease.json. */
export interface KnownLease extends WanLease {
	/** Wall-clock ms when it was obtained or renewed. */
	readonly since: number;
	/** Lease time in seconds, if the server said. */
	readonly leaseTime: number | null;
}

export type ServiceAction = 'start' | 'stop' | 'restart' | 'reload';

/** A service without an init script: a stock image has no miniupnpd, for instance. */
export class ServiceNotInstalled extends SystemError {
	constructor(readonly service: string) {
		super('init', `${service} is not installed (no init script)`);
	}
}

/** What the service manager (procd on OpenWrt) knows of a service's processes. */
export interface ServiceInstance {
	readonly name: string;
	readonly running: boolean;
	readonly pid: number | null;
}

export interface Platform {
	readonly name: PlatformName;
	/** How it reaches the system, for `status`: 'ubus socket', 'ubus cli', 'iproute2'. */
	readonly transport: string;

	/**
	 * Starts the shared WAN's DHCP client. keepalived has usually put the lease address and route
	 * up already; `known` is the last lease this pair held: the client asks for that address
	 * directly (DHCPREQUEST, no discovery), and if keepalived did not carry it (no lease was known
	 * when it loaded) the address and route are put up before the server answers.
	 */
	wanUp(wan: SharedWan, known: KnownLease | null): Promise<void>;
	/**
	 * The shared-MAC device present and up on every node, but silent: no IPv6, strict reverse-path
	 * filter (nothing forwarded, no ARP answered while it holds no address). keepalived adds the
	 * lease address to it on MASTER. netifd keeps it on OpenWrt; linux creates it here.
	 */
	wanPrepare(wan: SharedWan): Promise<void>;
	/** Stops the DHCP client (never releasing the lease) and drops the WAN address; the device stays. */
	wanDown(wan: SharedWan): Promise<void>;
	wanStatus(wan: SharedWan): Promise<WanStatus>;

	/** netifd `network reload` (openwrt); nothing to do on linux. */
	networkReload(): Promise<void>;

	/** Throws ServiceNotInstalled when the service has no init script. */
	service(name: string, action: ServiceAction): Promise<void>;
	serviceInstalled(name: string): Promise<boolean>;
	serviceRunning(name: string): Promise<boolean>;
	/** The service's instances as the service manager reports them (empty: none running). */
	serviceInstances(name: string): Promise<ServiceInstance[]>;
	/** Whether the init script is enabled at boot. */
	serviceEnabled(name: string): Promise<boolean>;
	/** Enables or disables the init script at boot (rc.d links on OpenWrt; nothing on linux). */
	setServiceEnabled(name: string, enabled: boolean): Promise<void>;

	/** `hotplug-call <subsystem>` with these variables, so other packages' hooks still fire. */
	hotplugCall(subsystem: string, env: Readonly<Record<string, string>>): Promise<void>;

	/** Closes sockets; the platform is unusable afterwards. */
	close(): void;
}
