// Run on tjs by uplink-probes.mjs: for SECONDS, every 200 ms, one ICMP probe to each of two targets
// from one source, either in process (probeTarget) or as the monitor did before (one `ping -c 1`
// spawned per target), or neither (idle: the loop alone, the baseline). Prints its own CPU time (and its children's) and memory as JSON.
import { ProbeSockets, probeTarget } from '../../src/exec/uplink-probes.ts';
import { tjsRuntime as rt } from '../../src/runtime/tjs.ts';
import { run } from '../../src/system/run.ts';
import { decodeUtf8 } from '../../src/util/utf8.ts';

const [mode, seconds, source, ...targets] = rt.args;
const sockets = new ProbeSockets();

async function ping(target: string): Promise<number | null> {
	// The monitor's former probe (src/exec/uplink-monitor.ts `ping`), as it was.
	const argv = ['ping', '-c', '1', '-W', '1', '-s', '56', '-I', source!, target];
	try {
		const r = await run(rt, argv, { timeoutMs: 200, okCodes: [0, 1, 2] });
		if (r.code !== 0) return null;
		const m = /time[=<]([\d.]+) ?ms/.exec(r.stdout);
		return m ? Number(m[1]) : 0;
	} catch {
		return null;
	}
}

const proc = async (file: string) => decodeUtf8((await rt.readFile(`/proc/self/${file}`))!);
const ticks = async () => {
	// utime stime cutime cstime: fields 14-17 of /proc/self/stat, after the ")" of the name.
	const stat = await proc('stat');
	const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return { self: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
};
const start = await ticks();
const t0 = rt.now();
let rounds = 0;
let answered = 0;
while (rt.now() - t0 < Number(seconds) * 1000) {
	const due = t0 + rounds * 200;
	await rt.sleep(Math.max(0, due - rt.now()));
	rounds++;
	if (mode === 'idle') continue;
	const rtts = await Promise.all(targets.map((t) => (mode === 'spawn' ? ping(t) : probeTarget(rt, 'icmp', source!, t, { size: 56, port: 0, timeoutMs: 200 }, sockets))));
	answered += rtts.filter((x) => x !== null).length;
}
const end = await ticks();
const status = await proc('status');
const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)![1]);
sockets.close();
await rt.stdout(`${JSON.stringify({ mode, rounds, probes: mode === 'idle' ? 0 : rounds * targets.length, answered, wallMs: Math.round(rt.now() - t0), cpuMs: (end.self - start.self) * 10, childrenCpuMs: (end.children - start.children) * 10, vmHwmKb: kb('VmHWM'), vmRssKb: kb('VmRSS') })}\n`);
rt.exit(0);
