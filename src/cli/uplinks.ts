// `ha-router uplinks [--json]`: each uplink's state, RTT, loss, weight and since when, from the
// health monitor's status file (/var/run/ha-router/uplinks.json, written every probe round by the
// agent), and its live connections from the kernel's conntrack table. Without that file (the agent
// not running yet) it says so and shows the configuration.
import type { UplinkStatus, UplinkStatusDoc } from '../exec/uplink-monitor.ts';
import { readJson } from '../exec/read-json.ts';
import { uplinkConnections, uplinkStatusPath } from '../exec/uplinks.ts';
import { allDeadSentence } from '../render/uplinks.ts';
import { UsageError } from '../errors.ts';
import { parseArgs } from './args.ts';
import type { Command } from './command.ts';
import { NODE_OPTIONS, nodePaths } from './context.ts';
import { loadNode } from './node.ts';

/** A status file older than this is not current: the agent stopped writing it. */
const STALE_MS = 5000;

function ago(ms: number): string {
	const s = Math.max(0, Math.round(ms / 1000));
	return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

export const uplinksCommand: Command = {
	name: 'uplinks',
	summary: "each uplink's health: state, RTT, loss, weight, since when",
	usage: `Usage: ha-router uplinks [--json] [--root DIR] [--config DIR]

Shows every 'config uplink' of /etc/config/ha-router with what the agent's health monitor measured:
alive, degraded (over its max_loss or max_rtt) or dead, the last round-trip time, the mean RTT and
the loss over the last 20 probe rounds, its weight and tier,
whether it takes new connections now, since when it is in its state, and its live connections
(conntrack entries with its mark; '-' when conntrack cannot be read). Exit 1 when there is no
current measurement (the agent is not running).
`,
	async run(rt, argv) {
		const args = parseArgs('uplinks', argv, ['json'], NODE_OPTIONS);
		if (args.positional.length) throw new UsageError(`uplinks: unexpected argument '${args.positional[0]}'`);
		const paths = nodePaths(rt, args);
		const model = await loadNode(rt, paths);
		const links = model.uplinks?.links ?? [];
		const doc = await readJson<UplinkStatusDoc>(rt, uplinkStatusPath(paths));
		const now = rt.wallClock();
		const current = doc !== null && typeof doc.updated === 'number' && now - doc.updated < STALE_MS;
		const why = links.length === 0 ? 'no uplink sections in the configuration' : current ? null : doc === null ? 'no measurement yet: the agent (ha-router agent) is not running or has not probed yet' : `the last measurement is ${ago(now - doc.updated)} old: the agent is not running`;
		const conns = links.length > 0 ? await uplinkConnections(rt, model) : null;
		const rows: ((UplinkStatus | { name: string; device: string; weight: number; tier: number; state: null }) & { connections: number | null })[] = links.map((l) => ({
			...((current ? doc.links[l.name] : undefined) ?? { name: l.name, device: l.device, weight: l.weight, tier: l.tier, state: null }),
			connections: conns?.[l.name] ?? null,
		}));
		if (args.flags.has('json')) {
			await rt.stdout(`${JSON.stringify({ ok: why === null, why, allDead: current ? doc.allDead : null, uplinks: rows })}\n`);
			return why === null ? 0 : 1;
		}
		if (why) await rt.stdout(`${why}\n`);
		if (current && doc.allDead && model.uplinks) await rt.stdout(`${allDeadSentence(model.uplinks)}\n`);
		for (const r of rows) {
			if (r.state === null) {
				await rt.stdout(`${r.name} (${r.device}): weight ${r.weight}, tier ${r.tier}, ${r.connections ?? '-'} connections\n`);
				continue;
			}
			const ms = (x: number | null) => (x === null ? '-' : `${x} ms`);
			const probe = r.probed ? `last RTT ${ms(r.rttMs)}, mean RTT ${ms(r.meanRttMs)}, loss ${r.lossPercent === null ? '-' : `${r.lossPercent} %`}` : (r.note ?? 'not probed');
			await rt.stdout(`${r.name} (${r.device}): ${r.state}${r.inUse ? '' : ', takes no new connections'} for ${ago(now - r.since)}, ${probe}, weight ${r.weight}, tier ${r.tier}, ${r.connections ?? '-'} connections\n`);
		}
		return why === null ? 0 : 1;
	},
};
