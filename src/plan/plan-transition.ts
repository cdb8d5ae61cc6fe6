// Pure: event + Model -> the ordered steps of a transition. No clock, no I/O.
//
// MASTER: synced connections into the kernel first (established sessions need them the moment
// traffic arrives), then the WAN, the SNAT address, the VIP route sources, the role services,
// and last the hotplug call so other packages see a finished MASTER. Without conntrackd's
// external cache the connections are in the kernel already; the cache steps then follow the role.
// BACKUP/FAULT/STOP: the WAN goes first (one identity, and keepalived may kill a slow hook), then
// the rest in reverse, then conntrackd gets out of the way of the new master.

import type { Model, Vip, VrrpState } from '../model/types.ts';
import { SYNC_GROUP_NAME } from '../model/names.ts';
import type { StateEvent } from './event.ts';
import type { Step } from './steps.ts';
import { peerLink } from '../peer/protocol.ts';

const CONNTRACKD_MS = 5000;
const WAN_MS = 10_000;
const SERVICE_MS = 15_000;
const HOTPLUG_MS = 10_000;
const PEER_MS = 3500;

/** Whether keepalived's event concerns this node's configuration; a reason when it does not. */
export function eventOwner(model: Model, ev: StateEvent): true | string {
	if (ev.type === 'SEED') return true;
	const names = model.groups.map((g) => g.name);
	if (model.groups.length > 1) {
		// Several instances form one sync group; the group event alone moves the router.
		if (ev.type === 'GROUP' && ev.name === SYNC_GROUP_NAME) return true;
		return `${ev.type.toLowerCase()} '${ev.name}' is not our sync group '${SYNC_GROUP_NAME}'`;
	}
	if (ev.type === 'INSTANCE' && names.includes(ev.name)) return true;
	return `${ev.type.toLowerCase()} '${ev.name}' is not one of our VRRP instances (${names.join(', ') || 'none'})`;
}

const ACTION: Record<VrrpState, string> = {
	MASTER: 'NOTIFY_MASTER',
	BACKUP: 'NOTIFY_BACKUP',
	FAULT: 'NOTIFY_FAULT',
	STOP: 'NOTIFY_STOP',
};

function hotplug(ev: StateEvent, model: Model): Step {
	const single = model.groups.length === 1 ? model.groups[0]!.name : SYNC_GROUP_NAME;
	const type = ev.type === 'SEED' ? (model.groups.length === 1 ? 'INSTANCE' : 'GROUP') : ev.type;
	return {
		kind: 'hotplug-keepalived',
		env: { ACTION: ACTION[ev.state], TYPE: type, NAME: ev.name || single },
		why: "other packages' /etc/hotplug.d/keepalived scripts still see the state change",
		timeoutMs: HOTPLUG_MS,
		onError: 'continue',
	};
}

/** IPv4 VIPs of IPv4 groups: their local route gets the node's own address as source. */
function routedVips(model: Model): { vip: Vip; source: string }[] {
	if (!model.node.vipRouteFix) return [];
	return model.groups.flatMap((g) => (g.address.family === 4 ? g.vips.filter((v) => v.family === 4).map((vip) => ({ vip, source: g.address.address })) : []));
}

function masterPlan(model: Model, ev: StateEvent): Step[] {
	const c = (kind: Step['kind'], why: string) => ({ kind, why, timeoutMs: CONNTRACKD_MS, onError: 'continue' }) as Step;
	const commit: Step[] = [];
	const housekeeping: Step[] = [];
	if (model.sync) {
		if (model.sync.externalCache) {
			commit.push(c('conntrackd-commit', 'move the connections the peer replicated into the kernel table'));
		}
		housekeeping.push(
			c('conntrackd-flush-caches', 'start the new role with empty caches (retried while a commit is still running)'),
			c('conntrackd-resync-kernel', 'fill the internal cache from the kernel table this node now owns'),
			c('conntrackd-bulk-send', 'send the whole table to the peer so it can take over again'),
		);
	}
	const role: Step[] = [];
	if (model.wan) {
		role.push(
			{ kind: 'wan-up', why: 'bring up the shared-MAC WAN, asking for the known lease', timeoutMs: WAN_MS, onError: 'continue' },
			{ kind: 'snat-update', why: 'translate new connections to the shared WAN address', timeoutMs: CONNTRACKD_MS, onError: 'continue' },
		);
	}
	for (const { vip, source } of routedVips(model)) {
		role.push({
			kind: 'vip-route-source',
			address: vip.address,
			device: vip.device,
			source,
			why: "the router's own traffic leaves from its primary address, not the VIP that can move away",
			timeoutMs: CONNTRACKD_MS,
			onError: 'continue',
		});
	}
	if (model.node.services.length > 0 && peerLink(model)) {
		role.push({
			kind: 'peer-left-master',
			why: 'role services never run on both nodes: wait until the peer stopped its own (not when it is silent)',
			timeoutMs: PEER_MS,
			onError: 'continue',
		});
	}
	for (const name of model.node.services) {
		role.push({ kind: 'service-start', name, why: 'role service runs on the master only', timeoutMs: SERVICE_MS, onError: 'continue' });
	}
	// With the external cache the replicated connections reach the kernel only by the commit, so
	// everything waits for it. Without it (the default) they are in the kernel already and the
	// WAN is what traffic waits for: cache housekeeping goes after the role (docs/decisions.md).
	const ordered = model.sync?.externalCache ? [...commit, ...housekeeping, ...role] : [...role, ...housekeeping];
	return [...ordered, hotplug(ev, model)];
}

function standbyPlan(model: Model, ev: StateEvent): Step[] {
	const steps: Step[] = [];
	// The WAN first: the shared MAC and lease must never be up on two nodes, and keepalived kills
	// the hook's whole process group about 1 s into its own shutdown (STOP), so nothing slow (a
	// role service's stop) may come before it.
	if (model.wan) {
		steps.push({ kind: 'wan-down', why: 'only one node may use the shared MAC and lease', timeoutMs: WAN_MS, onError: 'continue' });
	}
	for (const name of [...model.node.services].reverse()) {
		steps.push({ kind: 'service-stop', name, why: 'role service runs on the master only', timeoutMs: SERVICE_MS, onError: 'continue' });
	}
	for (const { vip } of routedVips(model)) {
		steps.push({
			kind: 'vip-route-restore',
			address: vip.address,
			device: vip.device,
			why: 'a standby neither delivers to nor answers ARP for the VIP, and no rewritten route outlives it',
			timeoutMs: CONNTRACKD_MS,
			onError: 'continue',
		});
	}
	if (model.sync) {
		steps.push({
			kind: 'conntrackd-shorten-timers',
			why: 'let kernel entries this node no longer forwards expire soon',
			timeoutMs: CONNTRACKD_MS,
			onError: 'continue',
		});
		if (ev.state === 'BACKUP') {
			steps.push({
				kind: 'conntrackd-request-resync',
				why: "ask the new master for its whole table",
				timeoutMs: CONNTRACKD_MS,
				onError: 'continue',
			});
		}
	}
	steps.push(hotplug(ev, model));
	return steps;
}

export function planTransition(model: Model, ev: StateEvent): Step[] {
	return ev.state === 'MASTER' ? masterPlan(model, ev) : standbyPlan(model, ev);
}
