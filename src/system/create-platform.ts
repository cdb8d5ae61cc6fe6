// Chooses the platform: 'auto' means openwrt when /etc/openwrt_release exists (under the root),
// linux otherwise. An OpenWrt system whose ubus cannot be reached is an error, never a silent
// switch to linux: both would fight netifd over the WAN.

import { SystemError } from '../errors.ts';
import { pathsFor, type Paths } from '../model/paths.ts';
import type { Platform as PlatformChoice } from '../model/types.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { linuxPlatform, type LinuxOptions } from './linux.ts';
import { openwrtPlatform, type OpenwrtOptions } from './openwrt.ts';
import type { Platform, PlatformName } from './platform.ts';
import { connectUbus, type UbusOptions } from './ubus/connect.ts';

export interface PlatformOptions {
	/** NodeSettings.platform: 'auto' (default), 'openwrt' or 'linux'. */
	readonly name?: PlatformChoice;
	readonly paths?: Paths;
	/** ubus socket path; the default paths are tried when absent. */
	readonly ubusSocket?: string;
	readonly ubus?: UbusOptions;
	readonly openwrt?: OpenwrtOptions;
	readonly linux?: Omit<LinuxOptions, 'paths'>;
}

export async function detectPlatform(rt: Runtime, paths: Paths): Promise<PlatformName> {
	return (await rt.stat(`${paths.root}/etc/openwrt_release`))?.isFile ? 'openwrt' : 'linux';
}

/** The platform a node's `option platform` means here; 'auto' looks at the root, reaching nothing. */
export function platformFor(rt: Runtime, choice: PlatformChoice, paths: Paths): Promise<PlatformName> {
	return choice === 'auto' ? detectPlatform(rt, paths) : Promise.resolve(choice);
}

export async function createPlatform(rt: Runtime, opts: PlatformOptions = {}): Promise<Platform> {
	const paths = opts.paths ?? pathsFor('');
	const name = await platformFor(rt, opts.name ?? 'auto', paths);
	if (name === 'linux') return linuxPlatform(rt, { ...opts.linux, paths });
	try {
		return openwrtPlatform(rt, await connectUbus(rt, opts.ubusSocket, opts.ubus), opts.openwrt);
	} catch (e) {
		if (e instanceof SystemError) throw new SystemError('ubus', `OpenWrt system but no ubus: ${e.message}`, e.code, e.stderr);
		throw e;
	}
}
