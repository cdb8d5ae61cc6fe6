// Exercises the tjs Runtime seam on the real binary; prints one JSON object of results.
// Bundled and run by runtime-seam.test.ts.
import { tjsRuntime as rt } from '../../src/runtime/tjs.ts';
import { decodeUtf8, encodeUtf8 } from '../../src/util/utf8.ts';

const [dir, sock, tcpPort] = rt.args;
const out: Record<string, unknown> = {};

const file = `${dir}/target.conf`;
await rt.writeFileAtomic(file, 'first\n', 0o600);
await rt.writeFileAtomic(file, 'second ünïcode\n', 0o640);
const back = await rt.readFile(file);
out.readBack = back && new TextDecoder().decode(back);
out.mode = (await rt.stat(file))?.mode;
out.leftovers = (await rt.readDir(dir!)).filter((n) => n !== 'target.conf');
out.missing = await rt.readFile(`${dir}/nope`);
// /proc reports size 0; a large file needs several reads.
out.procStat = new TextDecoder().decode((await rt.readFile('/proc/self/stat'))!).startsWith(`${rt.pid} (`);
const big = 'x'.repeat(70_000) + 'end';
await rt.writeFileAtomic(`${dir}/big`, big, 0o644);
out.bigOk = new TextDecoder().decode((await rt.readFile(`${dir}/big`))!) === big;
await rt.remove(`${dir}/big`);
out.exclusive = [await rt.createExclusive(`${dir}/lock`, 'a', 0o644), await rt.createExclusive(`${dir}/lock`, 'b', 0o644)];

// mkdir -p: three levels at once, again when they exist, and refused over a file.
await rt.makeDir(`${dir}/deep/er/est/`, 0o750);
await rt.makeDir(`${dir}/deep/er/est`);
out.makeDir = {
	created: (await rt.stat(`${dir}/deep/er/est`))?.isDirectory,
	mode: (await rt.stat(`${dir}/deep/er`))?.mode,
	overFile: await rt.makeDir(file).then(
		() => 'no error',
		(e: Error & { code?: string }) => `${e.code}: ${e.message}`,
	),
};

// Symbolic links: written through and kept; a dangling link or a loop is a sentence.
const links = `${dir}/links`;
await rt.makeDir(`${links}/real`);
await rt.writeFileAtomic(`${links}/real/t.conf`, 'old\n', 0o600);
await rt.symlink('real/t.conf', `${links}/t.conf`);
await rt.writeFileAtomic(`${links}/t.conf`, 'through\n', 0o644);
out.link = {
	isLink: (await rt.lstat(`${links}/t.conf`))?.isSymlink,
	target: await rt.readLink(`${links}/t.conf`),
	content: decodeUtf8((await rt.readFile(`${links}/real/t.conf`))!),
	mode: (await rt.stat(`${links}/real/t.conf`))?.mode,
	entries: [await rt.readDir(links), await rt.readDir(`${links}/real`)],
};
const message = (p: Promise<unknown>) => p.then(() => 'no error', (e: Error) => e.message);
await rt.symlink('nope/x.conf', `${links}/dangling.conf`);
await rt.symlink('loop-b', `${links}/loop-a`);
await rt.symlink('loop-a', `${links}/loop-b`);
out.brokenLinks = {
	dangling: await message(rt.writeFileAtomic(`${links}/dangling.conf`, 'x', 0o644)),
	loopWrite: await message(rt.writeFileAtomic(`${links}/loop-a`, 'x', 0o644)),
	loopRead: await message(rt.readFile(`${links}/loop-a`)),
	danglingStill: await rt.readLink(`${links}/dangling.conf`),
};
// decodeUtf8 on QuickJS: strict UTF-8 decodes, anything else comes back byte for byte.
const odd = [0x23, 0xe9, 0x20, 0xc3, 0xa9, 0xed, 0xa0, 0x80, 0xc0, 0xaf, 0xf4, 0x90, 0x80, 0x80, 0xff, 0xe2, 0x82];
out.utf8 = {
	valid: decodeUtf8(new Uint8Array([0x63, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80])),
	surrogateBytes: decodeUtf8(new Uint8Array([0xed, 0xa0, 0x80])).length,
	roundTrip: [...encodeUtf8(decodeUtf8(new Uint8Array(odd)))],
	odd,
};

out.spawn = await rt.spawn(['sh', '-c', 'cat; echo err >&2; exit 3'], { input: 'piped' });
out.spawnEnv = (await rt.spawn(['sh', '-c', 'echo "$HA_PROBE"'], { env: { HA_PROBE: 'yes' } })).stdout;
const t0 = rt.now();
out.timeout = await rt.spawn(['sleep', '5'], { timeoutMs: 200 });
out.timeoutMs = Math.round(rt.now() - t0);
try {
	await rt.spawn(['/nonexistent/program']);
	out.enoent = 'no error';
} catch (e) {
	out.enoent = (e as { code?: string }).code;
}
// tjs 24.12: after a spawn that fails, no later spawn finishes. The seam finds the program first
// and refuses a missing one (or a missing cwd) without spawning; then 20 spawns must all finish.
out.refused = {
	missing: await message(rt.spawn(['ha-router-no-such-program'])),
	notExecutable: await message(rt.spawn([file])),
	missingCwd: await message(rt.spawn(['true'], { cwd: `${dir}/no-dir` })),
};
out.afterRefused = [];
for (let i = 0; i < 20; i++) (out.afterRefused as unknown[]).push((await rt.spawn(['sh', '-c', `echo ${i}`])).stdout.trim());
// A child that exits before we read must not abort the runtime (24.12 wait() pitfall).
out.fast = (await Promise.all([1, 2, 3, 4, 5].map(() => rt.spawn(['true'])))).map((r) => r.code);

const conn = await rt.connectUnix(sock!);
await conn.write(new TextEncoder().encode('ping'));
const buf = new Uint8Array(64);
const n = await conn.read(buf);
out.echo = new TextDecoder().decode(buf.subarray(0, n ?? 0));
conn.close();
out.readAfterClose = await conn.read(buf);
out.writeAfterClose = await message(conn.write(new TextEncoder().encode('late')));
// tjs 24.12 never finishes connecting a closed socket object again: a reconnect is a new object.
const again = await rt.connectUnix(sock!);
await again.write(new TextEncoder().encode('pong'));
out.reconnected = { newObject: again !== conn, echo: new TextDecoder().decode(buf.subarray(0, (await again.read(buf)) ?? 0)) };
again.close();
try {
	await rt.connectUnix(`${dir}/no.sock`);
} catch (e) {
	out.connectMissing = (e as { code?: string }).code;
}
// The services' health check: an open port, and a refused one.
out.tcpOpen = await rt.probeTcp('127.0.0.1', Number(tcpPort), 1000);
out.tcpRefused = await rt.probeTcp('127.0.0.2', Number(tcpPort), 1000);
await rt.syslog('info', 'probe one');
await rt.syslog('info', 'probe\ntwo');
await rt.syslog('err', 'probe three');
await rt.flushLogs();
out.env = rt.env('HA_PROBE_ENV') ?? null;

await rt.stdout(JSON.stringify(out));
rt.exit(0);
