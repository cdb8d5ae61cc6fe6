// The Runtime seam (src/runtime/tjs.ts) on the real tjs 24.12 binary: files, spawn, sockets.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForTjs, runTjs } from '../support/tjs.ts';

let dir: string;
let server: net.Server;
let tcp: net.Server;
let result: Record<string, any>;

beforeAll(async () => {
	dir = mkdtempSync(path.join(os.tmpdir(), 'ha-probe-'));
	const sock = path.join(dir, 'echo.sock');
	server = net.createServer((c) => c.on('data', (d) => c.write(d)));
	await new Promise<void>((r) => server.listen(sock, r));
	tcp = net.createServer((c) => c.end());
	await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
	const tcpPort = String((tcp.address() as net.AddressInfo).port);
	const probe = await bundleForTjs(path.join(import.meta.dirname, 'probe.ts'), path.join(dir, 'probe.js'));
	const files = path.join(dir, 'files');
	(await import('node:fs')).mkdirSync(files);
	// spawnSync would block the echo server in this process: run tjs asynchronously.
	const { spawn } = await import('node:child_process');
	const { TJS } = await import('../support/tjs.ts');
	// A logger that records its arguments and stdin, first in PATH (there is no /dev/log here).
	const bin = path.join(dir, 'bin');
	(await import('node:fs')).mkdirSync(bin);
	(await import('node:fs')).writeFileSync(path.join(bin, 'logger'), `#!/bin/sh\n{ echo "ARGS $*"; cat; } >> ${dir}/logger.out\n`, { mode: 0o755 });
	const child = spawn(TJS, ['run', probe, files, sock, tcpPort], { env: { ...process.env, HA_PROBE_ENV: 'set', PATH: `${bin}:${process.env.PATH}` } });
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (d) => (stdout += d));
	child.stderr.on('data', (d) => (stderr += d));
	const code = await new Promise<number | null>((r) => child.on('close', r));
	if (code !== 0) throw new Error(`probe exited ${code}: ${stderr}`);
	result = JSON.parse(stdout);
});

afterAll(() => {
	server?.close();
	tcp?.close();
	rmSync(dir, { recursive: true, force: true });
});

describe('runtime seam on tjs', () => {
	it('writes files atomically with the requested mode and leaves no temp files', () => {
		expect(result.readBack).toBe('second ünïcode\n');
		expect(result.mode).toBe(0o640);
		expect(result.leftovers).toEqual([]);
		expect(statSync(path.join(dir, 'files/target.conf')).mode & 0o777).toBe(0o640);
	});
	it('makes missing directories with their ancestors, accepts existing ones and refuses a file', () => {
		expect(result.makeDir).toEqual({ created: true, mode: 0o750, overFile: `EEXIST: ${path.join(dir, 'files/target.conf')} exists and is not a directory` });
	});
	it('writes through a symbolic link to its target, next to the target, and keeps the link', () => {
		expect(result.link).toEqual({ isLink: true, target: 'real/t.conf', content: 'through\n', mode: 0o644, entries: [['real', 't.conf'], ['t.conf']] });
	});
	it('refuses a dangling link and a link loop with a sentence', () => {
		const links = path.join(dir, 'files/links');
		expect(result.brokenLinks).toEqual({
			dangling: `${links}/dangling.conf is a symbolic link to 'nope/x.conf', which does not exist: create that file or replace the link by a file`,
			loopWrite: `${links}/loop-a is a symbolic link that leads back to itself: point it at a file or replace it by one`,
			loopRead: `${links}/loop-a is a symbolic link that leads back to itself: point it at a file or replace it by one`,
			danglingStill: 'nope/x.conf',
		});
	});
	it('decodes strict UTF-8 and keeps every other byte through a decode and encode', () => {
		expect(result.utf8.valid).toBe('cé😀');
		expect(result.utf8.surrogateBytes).toBe(3);
		expect(result.utf8.roundTrip).toEqual(result.utf8.odd);
	});
	it('reads /proc files (size 0) and files larger than one read', () => {
		expect(result.procStat).toBe(true);
		expect(result.bigOk).toBe(true);
	});
	it('reports a missing file as null and creates lock files exclusively', () => {
		expect(result.missing).toBeNull();
		expect(result.exclusive).toEqual([true, false]);
	});
	it('spawns with an argument array, feeding stdin and capturing both streams and the code', () => {
		expect(result.spawn).toEqual({ code: 3, signal: null, stdout: 'piped', stderr: 'err\n', timedOut: false });
		expect(result.spawnEnv).toBe('yes\n');
		expect(result.fast).toEqual([0, 0, 0, 0, 0]);
	});
	it('kills a child at its timeout', () => {
		expect(result.timeout).toMatchObject({ code: null, signal: 'SIGKILL', timedOut: true });
		expect(result.timeoutMs).toBeLessThan(3000);
	});
	it('throws ENOENT for a missing program', () => {
		expect(result.enoent).toBe('ENOENT');
	});
	it('refuses a missing or non-executable program and a missing cwd without spawning, and 20 spawns after that finish', () => {
		const files = path.join(dir, 'files');
		expect(result.refused).toEqual({
			missing: expect.stringMatching(/^ENOENT: no executable 'ha-router-no-such-program' in PATH .+ \(not spawned\)$/),
			notExecutable: `ENOENT: no executable ${files}/target.conf (not spawned)`,
			missingCwd: `ENOENT: no directory ${files}/no-dir (not spawned)`,
		});
		expect(result.afterRefused).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
	});
	it('talks over a unix socket and reports EOF after close', () => {
		expect(result.echo).toBe('ping');
		expect(result.readAfterClose).toBeNull();
		expect(result.writeAfterClose).toMatch(/^EBADF: write on a closed connection/);
		expect(result.connectMissing).toBe('ENOENT');
	});
	it('connects again after close() with a new socket object that works', () => {
		expect(result.reconnected).toEqual({ newObject: true, echo: 'pong' });
	});
	it.skipIf(existsSync('/dev/log'))('batches syslog lines into one logger call per level run, each line on its own', () => {
		const out = readFileSync(path.join(dir, 'logger.out'), 'utf8');
		expect(out).toMatch(/^ARGS -t ha-router\[\d+\] -p daemon\.info\nprobe one\nprobe two\nARGS -t ha-router\[\d+\] -p daemon\.err\nprobe three\n$/);
	});
	it('probes TCP ports for the health check: open, and refused', () => {
		expect([result.tcpOpen, result.tcpRefused]).toEqual([true, false]);
	});
	it('reads named environment variables', () => {
		expect(result.env).toBe('set');
	});
});

it('is tjs 24.12', () => {
	expect(runTjs(path.join(import.meta.dirname, 'version.js')).stdout.trim()).toBe('24.12.0');
});
