// A "stack" is one way of running a router pair on the testbed: the seed-style baseline (test/e2e/baseline/seed.ts),
// ha-router on its linux platform (lib/ha-router-node.ts) or on its openwrt platform (lib/openwrt-node.ts). Scenarios and the benchmark only talk to this interface, so a new column in
// the benchmark is one more Stack.
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Testbed, RouterNode } from './testbed.ts';
import type { NodeRole } from './uci-files.ts';

export interface Stack {
	/** Column name in the benchmark ('baseline', 'ha-router', 'openwrt'). */
	name: string;
	/** Why the stack can't run here (e.g. the bundle is not built), or undefined if it can. */
	unavailable(): string | undefined;
	/** Writes the node's configuration for this role. No daemons are started. */
	configure(bed: Testbed, node: RouterNode, role: NodeRole): Promise<void>;
	/** Boots the node's HA services (what the router does at power-on). */
	boot(bed: Testbed, node: RouterNode): Promise<void>;
	/** Planned switchover away from this node (the admin's way of doing it for this stack). */
	switchAway(bed: Testbed, node: RouterNode): Promise<void>;
	/** After a crash (faults.ts killed the node's processes): stop what the stack runs for the node outside its
	 * namespace (the openwrt stand-in's procd would respawn daemons of a dead router). Optional. */
	powerOff?(bed: Testbed, node: RouterNode): Promise<void>;
	/** The master forwards LAN traffic as the stack means it to (e.g. its SNAT rule holds the WAN address): a pair
	 * counts as booted only then. Optional (default: the WAN address is enough). */
	ready?(node: RouterNode): boolean;
	/** Advert interval in seconds, to size the waits. */
	advertIntS: number;
}

export interface InitResult {
	code: number | null;
	out: string;
}

/** Runs `<root>/etc/init.d/<service> <action>` (asynchronously, bounded), as the platform would. */
export function initd(node: RouterNode, service: string, action: string, timeoutMs = 15_000): Promise<InitResult> {
	return new Promise((resolve) => {
		const p = spawn(path.join(node.root, 'etc/init.d', service), [action], { stdio: ['ignore', 'pipe', 'pipe'] });
		let out = '';
		p.stdout.on('data', (d: Buffer) => (out += d.toString()));
		p.stderr.on('data', (d: Buffer) => (out += d.toString()));
		const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
		p.on('close', (code) => {
			clearTimeout(t);
			resolve({ code, out });
		});
	});
}

/** Like initd, but throws unless the script succeeds. */
export async function initdOk(node: RouterNode, service: string, action: string): Promise<void> {
	const r = await initd(node, service, action);
	if (r.code !== 0) throw new Error(`${node.name}: init.d/${service} ${action} exited ${r.code}: ${r.out.trim()}`);
}
