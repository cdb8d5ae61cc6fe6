// Effects on a real node: the platform for WAN and services, conntrackd's client commands,
// our nft table and iproute2 for the VIP local routes.
import { askLocalAgent, queryPeer } from '../peer/client.ts';
import { readAnnounced } from './event-queue.ts';
import { PEER_SILENT_MS, peerLink } from '../peer/protocol.ts';
import { ConntrackdBusyError, conntrackd } from '../system/conntrackd.ts';
import { fixVipLocalRoute, restoreVipLocalRoute } from '../system/iproute.ts';
import { nftApply, nftDeleteTable } from '../system/nft.ts';
import type { KnownLease, Platform } from '../system/platform.ts';
import type { Paths } from '../model/paths.ts';
import type { Model } from '../model/types.ts';
import { NFT_TABLE, renderNft } from '../render/nft.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { ConntrackdOp, Effects } from './effects.ts';
import { readLeaseBeacon } from './lease-beacon.ts';
import { readKnownLease } from './lease-store.ts';
import { withLock } from './lock.ts';
import { replaceSiteRoutes } from '../system/site-routes.ts';
import { decodeUtf8 } from '../util/utf8.ts';
import { nftLock, readDown } from './service-health.ts';
import { loadUplinkTable, readUplinkFacts, removeUplinkRouting, syncUplinkRouting } from './uplinks.ts';

const FLUSH_TRIES = 20;
const FLUSH_WAIT_MS = 50;

/**
 * The lease the pair holds now: the beacon (the current master's lease, its own on the master)
 * before this node's lease.json, which on a standby may be from its last turn as master.
 */
export async function bestKnownLease(rt: Runtime, model: Model, paths: Paths): Promise<KnownLease | null> {
	return (model.sync ? await readLeaseBeacon(rt).catch(() => null) : null) ?? (await readKnownLease(rt, paths));
}

/**
 * Loads our table with the SNAT address of the known lease, in one nft transaction, then keeps
 * that exact text as the file fw4 includes (only what nft accepted: fw4 loads it inside its own
 * transaction). The hook and the lease handler may load it at the same moment: under a lock,
 * reading the lease inside it, the last load always carries the newest lease.
 */
export async function loadNftTable(rt: Runtime, model: Model, paths: Paths): Promise<void> {
	await rt.makeDir(paths.runDir);
	await withLock(rt, nftLock(paths), async () => {
		const lease = await bestKnownLease(rt, model, paths);
		// Several WANs: the uplinks' addresses (SNAT, source stickiness) and health come with the load.
		const up = model.uplinks ? await readUplinkFacts(rt, model, paths) : null;
		const table = renderNft(model, { wanAddress: lease?.address.address ?? null, down: model.services.length ? await readDown(rt, paths) : {}, ...(up ? { uplinks: up } : {}) });
		if (up) await loadUplinkTable(rt, model, paths, table, up.dead);
		else await nftApply(rt, table);
		if (up) await syncUplinkRouting(rt, model, up.gateways);
		await rt.writeFileAtomic(paths.nftLoaded, table, 0o644, false);
	});
}

/**
 * The sites' rules and routes from /etc/ha-router/site-routes (ours removed first; no file: none).
 * Under a lock: apply's reload and the hotplug's `ha-router routes` can run at the same moment.
 */
export async function loadSiteRoutes(rt: Runtime, paths: Paths): Promise<void> {
	await rt.makeDir(paths.runDir);
	await withLock(rt, `${paths.runDir}/routes.lock`, async () => {
		const batch = await rt.readFile(paths.siteRoutes);
		await replaceSiteRoutes(rt, batch === null ? null : decodeUtf8(batch));
	});
}

/** Deletes our table and the file fw4 includes, so no firewall reload brings it back. */
export async function unloadNftTable(rt: Runtime, paths: Paths): Promise<void> {
	await rt.remove(paths.nftLoaded);
	const [family, table] = NFT_TABLE.split(' ') as [string, string];
	await nftDeleteTable(rt, family, table);
	await removeUplinkRouting(rt);
}

export function systemEffects(rt: Runtime, model: Model, paths: Paths, platform: Platform): Effects {
	const ctd = conntrackd(rt, paths.conntrackdConf);
	const wan = () => {
		if (!model.wan) throw new Error('no shared WAN configured');
		return model.wan;
	};
	return {
		platform,
		async conntrackd(op: ConntrackdOp) {
			switch (op) {
				case 'commit':
					return ctd.commit();
				case 'flush':
					// A flush during a commit is refused (or silently ignored): wait for the commit.
					for (let i = 1; ; i++) {
						try {
							return await ctd.flush();
						} catch (e) {
							if (!(e instanceof ConntrackdBusyError) || i >= FLUSH_TRIES) throw e;
							await rt.sleep(FLUSH_WAIT_MS);
						}
					}
				case 'resync':
					return ctd.resyncKernel();
				case 'bulk':
					return ctd.bulkSend();
				case 'shorten':
					return ctd.resetTimers();
				case 'request':
					return ctd.requestResync();
			}
		},
		async wanUp() {
			const known = await bestKnownLease(rt, model, paths);
			const w = wan();
			// A configured address is asked for when no lease was seen yet.
			const ask = known ?? (w.requestAddress ? { address: { address: w.requestAddress, prefix: 32, family: 4 as const }, gateway: null, since: 0, leaseTime: null } : null);
			await platform.wanUp(w, ask);
		},
		snatUpdate: () => loadNftTable(rt, model, paths),
		wanDown: () => platform.wanDown(wan()),
		vipRouteSource: (address, device, source) => fixVipLocalRoute(rt, address, device, source),
		vipRouteRestore: (address, device) => restoreVipLocalRoute(rt, address, device),
		async peerLeftMaster(timeoutMs) {
			const link = peerLink(model);
			if (!link) return;
			const end = rt.now() + timeoutMs;
			for (;;) {
				// keepalived announced another state meanwhile: this plan is superseded, and the peer may be
				// waiting for this node to settle in turn (both booting at once), so stop waiting at once.
				const announced = await readAnnounced(rt, paths.runDir);
				if (announced !== null && announced !== 'MASTER') return;
				// Our agent answers from memory; without it, ask the peer itself (300 ms when it is silent).
				const view = await askLocalAgent(rt, link, 200);
				const peer = view ? (view.hb && view.ageMs !== null && view.ageMs < PEER_SILENT_MS ? view.hb : null) : await queryPeer(rt, link, 300, false);
				// Silent (crashed, cut off): nothing to wait for. Otherwise its standby plan has stopped its services.
				if (peer === null || (peer.role !== 'MASTER' && peer.settled)) return;
				if (rt.now() >= end) throw new Error(`the peer ${peer.node} is still ${peer.role === 'MASTER' ? 'MASTER' : `leaving MASTER (${peer.role})`}`);
				await rt.sleep(50);
			}
		},
	};
}
