// `make demo`: an emulated ha-router pair in network namespaces, a live session through it, a
// crash of the master, and the survivor's status. Everything it starts is removed at the end.
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { nsRunAsync, sleep, waitFor } from './lib/exec.ts';
import { crash } from './lib/faults.ts';
import { haRouter, haRouterStack } from './lib/ha-router-node.ts';
import { createTestbed, hasVip, reapStale, SERVER, VIP, wanAddr, type RouterNode, type Testbed } from './lib/testbed.ts';
import { startMeter } from './lib/traffic.ts';
import { defaultRole } from './lib/uci-files.ts';

const t0 = Date.now();
const say = (s: string) => process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${s}\n`);

async function main(): Promise<number> {
	await reapStale();
	say('creating the testbed: ISP with DHCP, an internet server, routers r0 and r1, a LAN client');
	const bed: Testbed = await createTestbed();
	try {
		for (const r of bed.routers) await haRouterStack.configure(bed, r, defaultRole(r));
		say('ha-router apply on both routers, then conntrackd and keepalived start');
		await Promise.all(bed.routers.map((r) => haRouterStack.boot(bed, r)));
		// At boot both start as BACKUP and the higher priority wins (possibly after a moment of the
		// other holding the VIP): wait for a master that also has the WAN lease.
		const master = await waitFor('a master with the WAN lease', () => bed.routers.find((r) => hasVip(r) && wanAddr(r)), 30_000, 20);
		const standby = bed.routers.find((r) => r !== master) as RouterNode;
		say(`${master.name} is MASTER with VIP ${VIP} and WAN ${wanAddr(master)}; ${standby.name} is BACKUP`);

		say(`live session: 20 TCP streams and a ping from the LAN client to ${SERVER}`);
		const meter = await startMeter(bed, { streams: 20 });
		const client = bed.clients[0]!;
		const ping = bed.track(spawn('ip', ['netns', 'exec', client.ns, 'ping', '-n', '-i', '0.1', '-W', '1', SERVER]));
		let lastSeq = 0;
		let crashedAt = 0;
		readline.createInterface({ input: ping.stdout! }).on('line', (l) => {
			const m = /icmp_seq=(\d+)/.exec(l);
			if (!m) return;
			const seq = Number(m[1]);
			// Show the replies around the crash, and every 10th otherwise.
			if (seq - lastSeq > 1) say(`ping: replies resume at icmp_seq=${seq}; ${seq - lastSeq - 1} lost during the failover`);
			else if (seq % 10 === 0 || (crashedAt && Date.now() - crashedAt < 2500)) say(`ping: ${l.replace(/^64 bytes from /, 'reply from ')}`);
			lastSeq = seq;
		});
		await sleep(2000);

		say(`CRASH: every process on ${master.name} killed, then its links cut`);
		crashedAt = Date.now();
		await meter.mark('fault');
		await crash(master);
		await waitFor(`${standby.name} taking the VIP`, () => hasVip(standby), 10_000, 5);
		say(`${standby.name} holds the VIP ${Date.now() - crashedAt} ms after the crash`);
		await waitFor(`${standby.name} WAN`, () => wanAddr(standby), 10_000, 5);
		say(`${standby.name} has the WAN address ${wanAddr(standby)} ${Date.now() - crashedAt} ms after the crash (same lease: same shared MAC)`);
		await sleep(4000);
		ping.kill('SIGINT');
		const r = await meter.stop();
		say(`TCP streams kept: ${r.tcp.survived}/${r.tcp.streams}, resets seen by the client: ${r.tcp.reset}, bytes lost: ${r.tcp.bytesLost}`);
		say(`largest gap: TCP ${Math.round(r.tcp.gapMaxMs)} ms (retransmit backoff included), UDP ${Math.round(r.udp.gapMaxMs)} ms, ping ${Math.round(r.ping.gapMaxMs)} ms`);

		say(`ha-router status on the survivor ${standby.name}:`);
		const st = await haRouter(standby, ['status', '--root', standby.root]);
		process.stdout.write(`${st.stdout.trimEnd().replace(/^/gm, '        ')}\n`);
		const ok = r.tcp.survived === r.tcp.streams && r.tcp.reset === 0;
		say(ok ? 'every session survived the crash' : 'some sessions did not survive: see above');
		await nsRunAsync(client.ns, 'true', []);
		return ok ? 0 : 1;
	} finally {
		// DEMO_KEEP=1 leaves everything up for a look around (namespaces named in the first line).
		if (process.env.DEMO_KEEP === '1') say(`kept: namespaces ${bed.prefix}*, roots under ${bed.tmp}`);
		else {
			say('cleaning up namespaces and processes');
			await bed.destroy();
		}
	}
}

main().then(
	(code) => process.exit(code),
	(e) => {
		process.stderr.write(`demo failed: ${e instanceof Error ? e.stack : String(e)}\n`);
		process.exit(1);
	},
);
