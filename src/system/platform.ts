// The operations ha-router performs on a router, whichever platform it runs on.
// openwrt.ts implements them with ubus (netifd, rpcd rc/uci, procd); linux.ts with iproute2,
// udhcpc and init scripts. Callers never know which one they got.

import type { Cidr, SharedWan } from '../model/types.ts';

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
export interface KnownLease {
	readonly address: Cidr;
	readonly gateway: string | null;
	/** Wall-clock ms when it was obtained or renewed. */
	readonly since: number;
	/** Lease time in seconds, if the server said. */
	readonly leaseTime: number | null;
}

export type ServiceAction = 'start' | 'stop' | 'restart' | 'reload';

export interface Platform {
	readonly name: PlatformName;
	/** How it reaches the system, for `status`: 'ubus socket', 'ubus cli', 'iproute2'. */
	readonly transport: string;

	/**
	 * Brings the shared WAN up. `known` is the last lease this pair held: the DHCP client asks for
	 * that address directly (DHCPREQUEST, no discovery), and where the platform allows it the
	 * address and default route are in place before the server answers.
	 */
	wanUp(wan: SharedWan, known: KnownLease | null): Promise<void>;
	wanDown(wan: SharedWan): Promise<void>;
	wanStatus(wan: SharedWan): Promise<WanStatus>;

	/** netifd `network reload` (openwrt); nothing to do on linux. */
	networkReload(): Promise<void>;
	/** Tell the system a UCI package changed on disk, as `reload_config` does (procd config.change). */
	configChanged(pkg: string): Promise<void>;

	service(name: string, action: ServiceAction): Promise<void>;
	serviceRunning(name: string): Promise<boolean>;
	/** Whether the init script is enabled at boot. */
	serviceEnabled(name: string): Promise<boolean>;

	/** `hotplug-call <subsystem>` with these variables, so other packages' hooks still fire. */
	hotplugCall(subsystem: string, env: Readonly<Record<string, string>>): Promise<void>;

	/** Closes sockets; the platform is unusable afterwards. */
	close(): void;
}
