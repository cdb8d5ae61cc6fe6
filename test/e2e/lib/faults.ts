// Fault injection (TESTBED.md, DESIGN.md decision 4). A crash kills every process of the node first and then cuts
// its links; a LAN-link fault cuts the LAN link while the daemons still run. These are different scenarios.
import { ipn, killPid, run, sleep } from './exec.ts';
import { initd } from './stack.ts';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { UPLINK_DEV, WAN_DEV, type RouterNode } from './testbed.ts';

function links(node: RouterNode): string[] {
	const r = ipn(node.ns, ['-o', 'link', 'show'], false);
	return r.stdout
		.split('\n')
		.map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
		.filter((n): n is string => n !== undefined && n !== 'lo');
}

/** Hard crash: SIGKILL every process in the node's namespace (except `spare`, the test's own instruments), then
 * set every link down. Nothing gets to clean up or say goodbye: VIPs, conntrack entries and the WAN macvlan stay as they were. */
export async function crash(node: RouterNode, spare: number[] = []): Promise<void> {
	for (let round = 0; round < 10; round++) {
		const r = run('ip', ['netns', 'pids', node.ns], { check: false });
		const pids = r.stdout.split(/\s+/).filter((s) => /^\d+$/.test(s)).map(Number).filter((p) => !spare.includes(p) && p !== process.pid);
		if (pids.length === 0) break;
		// Freeze everything first: keepalived's VRRP child has a parent-death signal (SIGTERM) and would otherwise
		// send a priority-0 advert when its parent dies first, which is a clean stop, not a crash.
		for (const p of pids) killPid(p, 'SIGSTOP');
		for (const p of pids) killPid(p, 'SIGKILL');
		await sleep(20);
	}
	for (const l of links(node)) ipn(node.ns, ['link', 'set', l, 'down'], false);
}

/** The node's links (WAN port, LAN port, sync link, its own uplink if it has one) up again; no daemons yet. */
export function linksUp(node: RouterNode): void {
	for (const l of [node.ports.wan, node.ports.lan, node.ports.sync, UPLINK_DEV]) ipn(node.ns, ['link', 'set', l, 'up'], false);
}

/** A crashed node powered on again: what a reboot clears is cleared (tmpfs /var/run and /var/lock, the WAN
 * macvlan, the VIP, the conntrack table, the nftables ruleset), then the links come up. No daemons yet. */
export function powerOn(node: RouterNode): void {
	for (const d of ['var/run', 'var/lock']) {
		const dir = path.join(node.root, d);
		for (const f of readdirSync(dir)) rmSync(path.join(dir, f), { recursive: true, force: true });
	}
	ipn(node.ns, ['link', 'del', WAN_DEV], false);
	ipn(node.ns, ['addr', 'flush', 'dev', node.ports.lan], false);
	ipn(node.ns, ['addr', 'add', `${node.lanAddr}/24`, 'dev', node.ports.lan], false);
	run('ip', ['netns', 'exec', node.ns, 'conntrack', '-F'], { check: false });
	run('ip', ['netns', 'exec', node.ns, 'nft', 'flush', 'ruleset'], { check: false });
	linksUp(node);
}

/** The master's LAN link fails; its daemons keep running. */
export function lanLinkDown(node: RouterNode): void {
	ipn(node.ns, ['link', 'set', node.ports.lan, 'down']);
}

export function lanLinkUp(node: RouterNode): void {
	ipn(node.ns, ['link', 'set', node.ports.lan, 'up']);
}

/** keepalived stopped cleanly (SIGTERM through the init script): it sends a priority-0 advert and drops the VIP. */
export async function stopKeepalived(node: RouterNode): Promise<void> {
	const r = await initd(node, 'keepalived', 'stop');
	if (r.code !== 0) throw new Error(`${node.name}: keepalived stop failed: ${r.out}`);
}

/** Cuts VRRP between this node and the others (both directions), leaving every other packet alone. */
export function cutVrrp(node: RouterNode): void {
	run('ip', ['netns', 'exec', node.ns, 'nft', '-f', '-'], {
		input: `table inet testbed_fault {
	chain in { type filter hook input priority -300; policy accept; ip protocol vrrp drop; }
	chain out { type filter hook output priority -300; policy accept; ip protocol vrrp drop; }
}
`,
	});
}

export function healVrrp(node: RouterNode): void {
	run('ip', ['netns', 'exec', node.ns, 'nft', 'delete', 'table', 'inet', 'testbed_fault'], { check: false });
}
