// What procd does at boot (our own code; contract: procd's rcS and base-files' rc.d): every
// /etc/rc.d/S<NN><name> runs `boot`, one at a time, in the order of the link names. netifd is
// part of the stand-in itself: it starts at S20, the place of OpenWrt's /etc/init.d/network.
import { appendFileSync, closeSync, existsSync, openSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { MiniOpenwrt } from './mini-openwrt.ts';
import { runIn } from './spawn-in.ts';

export interface BootStep {
	/** The rc.d link name, e.g. 'S21ha-router' ('S20network' for netifd). */
	link: string;
	/** Exit code of `<script> boot` (null: killed at the timeout). */
	code: number | null;
	ms: number;
}

const NETWORK = 'S20network';

/** The S links of <root>/etc/rc.d in boot order, netifd's place included. */
export function bootOrder(root: string): string[] {
	const dir = path.join(root, 'etc/rc.d');
	const links = existsSync(dir) ? readdirSync(dir).filter((n) => /^S\d\d./.test(n)) : [];
	return [...new Set([...links, NETWORK])].sort();
}

/**
 * Runs the boot sequence on a started mini OpenWrt (deferNetwork); each script bounded by
 * timeoutMs, its output appended to `log` (procd sends it to syslog).
 */
export async function bootRcd(mini: MiniOpenwrt, timeoutMs: number, log: string): Promise<BootStep[]> {
	const steps: BootStep[] = [];
	const rc = path.join(mini.root, 'etc/rc.common');
	for (const link of bootOrder(mini.root)) {
		const t0 = Date.now();
		let code: number | null = 0;
		const gone = link !== NETWORK && !existsSync(path.join(mini.root, 'etc/rc.d', link));
		appendFileSync(log, `=== ${new Date(t0).toISOString()} ${link} ${gone ? 'skipped: the link went away during this boot' : 'boot'}\n`);
		if (link === NETWORK) await mini.startNetwork();
		else if (!gone) {
			const fd = openSync(log, 'a');
			try {
				code = await runIn(mini.ns, ['busybox', 'sh', rc, path.join(mini.root, 'etc/init.d', link.slice(3)), 'boot'], { timeoutMs, stdio: ['ignore', fd, fd] });
			} finally {
				closeSync(fd);
			}
		}
		steps.push({ link, code, ms: Date.now() - t0 });
	}
	return steps;
}
