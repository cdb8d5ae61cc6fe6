// The socket client against UbusTestServer on a real unix socket (Node runtime). The same
// scenarios run on real tjs in test/runtime/ubus-client.test.ts.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BlobTable } from '../../../src/system/ubus/blob.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectUbus, UbusError, type Ubus } from '../../../src/system/ubus/index.ts';
import { openUbusSocket } from '../../../src/system/ubus/socket-client.ts';
import { nodeRuntime } from '../../support/node-runtime.ts';
import { dataAttr, frame, objIdAttr, statusAttr, UbusTestServer } from '../../support/ubus-server.ts';

const rt = nodeRuntime();
let dir: string;
let server: UbusTestServer;
let sock: string;
const open: Ubus[] = [];

async function client(timeoutMs = 2000): Promise<Ubus> {
	const u = await connectUbus(rt, sock, { transport: 'socket', timeoutMs });
	open.push(u);
	return u;
}

async function failure(p: Promise<unknown>): Promise<UbusError> {
	const e = await p.then(
		() => null,
		(x: unknown) => x,
	);
	expect(e).toBeInstanceOf(UbusError);
	return e as UbusError;
}

beforeAll(async () => {
	dir = mkdtempSync(path.join(os.tmpdir(), 'hr4-ubus-'));
	sock = path.join(dir, 'ubus.sock');
	server = new UbusTestServer(sock);
	server.add('rt.echo', {
		echo: (args) => ({ data: [args] }),
		two: () => ({ data: [{ a: 1 }, { b: 2 }] as BlobTable[] }),
		fail: () => ({ status: 6 }),
		slow: (args) => ({ data: [args], delayMs: Number(args.ms ?? 300) }),
		silent: () => ({ silent: true }),
		none: () => ({}),
		baddata: () => ({ raw: frame(2, 0, 0, []), data: [] }),
	});
	await server.start();
});

afterEach(() => {
	for (const u of open.splice(0)) u.close();
	server.hello = 'normal';
});

afterAll(async () => {
	await server.stop();
	rmSync(dir, { recursive: true, force: true });
});

describe('ubus socket client', () => {
	it('looks the object up once, then invokes with the arguments as DATA', async () => {
		const u = await client();
		expect(u.transport).toBe('ubus socket');
		const before = server.received.length;
		expect(await u.call('rt.echo', 'echo', { a: 1, s: 'x', l: [true, null, 1.5], t: { k: 'v' } })).toEqual({ a: 1, s: 'x', l: [true, null, 1.5], t: { k: 'v' } });
		expect(await u.call('rt.echo', 'echo', { n: 5000000000 })).toEqual({ n: 5000000000 });
		const seen = server.received.slice(before);
		expect(seen.map((c) => c.type)).toEqual([4, 5, 5]);
		expect(seen[0]).toMatchObject({ objPath: 'rt.echo', peer: 0 });
		const id = server.objects.get('rt.echo')!.id;
		expect(seen[1]).toMatchObject({ peer: id, objId: id, method: 'echo', hasData: true });
		// One sequence counter over the connection.
		expect(seen.map((c) => c.seq)).toEqual([seen[0]!.seq, seen[0]!.seq + 1, seen[0]!.seq + 2]);
	});

	it('always sends DATA, an empty table without arguments', async () => {
		const u = await client();
		expect(await u.call('rt.echo', 'echo')).toEqual({});
		expect(server.received.at(-1)).toMatchObject({ method: 'echo', hasData: true, args: {} });
	});

	it('merges several DATA replies into one result, and gives {} when there is none', async () => {
		const u = await client();
		expect(await u.call('rt.echo', 'two')).toEqual({ a: 1, b: 2 });
		expect(await u.call('rt.echo', 'none')).toEqual({});
	});

	it('names the status of a failed call', async () => {
		const u = await client();
		expect((await failure(u.call('rt.echo', 'fail'))).status).toBe('PERMISSION_DENIED');
		expect((await failure(u.call('rt.echo', 'nosuch'))).status).toBe('METHOD_NOT_FOUND');
		const e = await failure(u.call('no.such.object', 'status'));
		expect(e.status).toBe('NOT_FOUND');
		expect(e.message).toBe('ubus: lookup no.such.object: NOT_FOUND');
		expect(e.program).toBe('ubus');
	});

	it('matches replies to concurrent calls by sequence number', async () => {
		const u = await client();
		const order: string[] = [];
		const slow = u.call('rt.echo', 'slow', { ms: 200, who: 'slow' }).then((r) => (order.push('slow'), r));
		const fast = u.call('rt.echo', 'echo', { who: 'fast' }).then((r) => (order.push('fast'), r));
		expect(await Promise.all([slow, fast])).toEqual([
			{ ms: 200, who: 'slow' },
			{ who: 'fast' },
		]);
		expect(order).toEqual(['fast', 'slow']);
	});

	it('times out a call that gets no answer, drops the late reply, and keeps working', async () => {
		const u = await client(2000);
		const t0 = Date.now();
		expect((await failure(u.call('rt.echo', 'silent', {}, { timeoutMs: 200 }))).status).toBe('TIMEOUT');
		expect((await failure(u.call('rt.echo', 'slow', { ms: 400 }, { timeoutMs: 150 }))).status).toBe('TIMEOUT');
		expect(Date.now() - t0).toBeLessThan(1500);
		await new Promise((r) => setTimeout(r, 350)); // the late reply arrives now and must be ignored
		expect(await u.call('rt.echo', 'echo', { after: 1 })).toEqual({ after: 1 });
	});

	it('fails only the call whose DATA is malformed; the connection stays usable', async () => {
		const u = await client();
		const id = server.objects.get('rt.echo')!.id;
		server.objects.get('rt.echo')!.methods.baddata = (_a, c) => ({
			raw: Buffer.concat([
				// A frame for another seq (ignored), then a well-framed DATA whose blobmsg is cut short.
				frame(2, (c.seq + 7) & 0xffff, id, [objIdAttr(id), dataAttr({ ignored: 1 })]),
				frame(2, c.seq, id, [objIdAttr(id), dataAttr(Buffer.from('85000010000161000000', 'hex'))]),
				frame(1, c.seq, id, [statusAttr(0), objIdAttr(id)]),
			]),
		});
		expect((await failure(u.call('rt.echo', 'baddata'))).status).toBe('PARSE_ERROR');
		expect(await u.call('rt.echo', 'echo', { ok: true })).toEqual({ ok: true });
	});

	it('fails pending and later calls when the server sends a frame that cannot be framed', async () => {
		const u = await client();
		server.objects.get('rt.echo')!.methods.garbage = () => ({ raw: Buffer.from('ff'.repeat(64), 'hex') });
		const pending = u.call('rt.echo', 'slow', { ms: 1000 });
		const e = await failure(u.call('rt.echo', 'garbage'));
		expect(e.status).toBe('CONNECTION_FAILED');
		expect(e.message).toMatch(/malformed message/);
		expect((await failure(pending)).status).toBe('CONNECTION_FAILED');
		expect((await failure(u.call('rt.echo', 'echo'))).status).toBe('CONNECTION_FAILED');
	});

	it('fails the call when the socket closes in the middle of a reply', async () => {
		const u = await client();
		const id = server.objects.get('rt.echo')!.id;
		server.objects.get('rt.echo')!.methods.half = (_a, c) => ({
			raw: frame(2, c.seq, id, [objIdAttr(id), dataAttr({ s: 'x'.repeat(100) })]).subarray(0, 40),
			close: true,
		});
		const e = await failure(u.call('rt.echo', 'half'));
		expect(e.status).toBe('CONNECTION_FAILED');
		expect(e.message).toMatch(/closed by ubusd/);
	});

	it('survives random garbage replies without hanging or throwing past the call', async () => {
		let seed = 42;
		const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 16) & 0xff;
		for (let round = 0; round < 30; round++) {
			const u = await client(300);
			const id = server.objects.get('rt.echo')!.id;
			server.objects.get('rt.echo')!.methods.fuzz = (_a, c) => {
				const good = frame(2, c.seq, id, [objIdAttr(id), dataAttr({ v: round })]);
				const bytes = Buffer.from(good);
				for (let i = 0; i < 3; i++) bytes[rnd() % bytes.length] = rnd();
				return { raw: Buffer.concat([bytes, frame(1, c.seq, id, [statusAttr(0)])]) };
			};
			const r = await u.call('rt.echo', 'fuzz').then(
				(v) => v,
				(e: unknown) => e,
			);
			expect(r instanceof UbusError || (typeof r === 'object' && r !== null)).toBe(true);
			u.close();
		}
	});

	it('looks an object up again when its cached id went away', async () => {
		const u = await client();
		server.add('rt.moving', { echo: (a) => ({ data: [a] }) });
		expect(await u.call('rt.moving', 'echo', { n: 1 })).toEqual({ n: 1 });
		server.add('rt.moving', { echo: (a) => ({ data: [{ ...a, again: true }] }) }); // new id, old one gone
		expect(await u.call('rt.moving', 'echo', { n: 2 })).toEqual({ n: 2, again: true });
	});

	it('close() fails pending calls at once and refuses later ones', async () => {
		const u = await client();
		const p = u.call('rt.echo', 'slow', { ms: 1000 });
		await new Promise((r) => setTimeout(r, 50));
		u.close();
		expect((await failure(p)).status).toBe('CONNECTION_FAILED');
		expect((await failure(u.call('rt.echo', 'echo'))).status).toBe('CONNECTION_FAILED');
	});

	it('carries a 300 KB string both ways', async () => {
		const u = await client(10_000);
		const s = 'é'.repeat(150_000);
		expect((await u.call('rt.echo', 'echo', { s })).s).toBe(s);
	});

	it('refuses arguments that cannot be encoded without sending anything', async () => {
		const u = await client();
		await u.call('rt.echo', 'echo'); // the id is cached now: a refused call sends nothing at all
		const n = server.received.length;
		expect((await failure(u.call('rt.echo', 'echo', { big: 2 ** 60 }))).status).toBe('INVALID_ARGUMENT');
		expect(server.received.length).toBe(n);
	});
});

describe('connecting', () => {
	it('fails within the HELLO timeout when ubusd says nothing, or says garbage', async () => {
		server.hello = 'none';
		const t0 = Date.now();
		expect((await failure(openUbusSocket(rt, sock, { helloTimeoutMs: 200 }))).status).toBe('CONNECTION_FAILED');
		expect(Date.now() - t0).toBeLessThan(1000);
		server.hello = 'garbage';
		expect((await failure(openUbusSocket(rt, sock, { helloTimeoutMs: 2000 }))).message).toMatch(/malformed/);
	});

	it('reports a missing socket as CONNECTION_FAILED when the socket transport is required', async () => {
		const e = await failure(connectUbus(rt, path.join(dir, 'missing.sock'), { transport: 'socket' }));
		expect(e.status).toBe('CONNECTION_FAILED');
		expect(e.message).toMatch(/ENOENT/);
	});
});

describe('ubus cli fallback', () => {
	let fake: string;
	let log: string;
	beforeAll(() => {
		fake = path.join(dir, 'ubus');
		log = path.join(dir, 'ubus.log');
		// Behaves as `ubus -S call` does with stderr not a TTY (reference 2.10).
		writeFileSync(
			fake,
			`#!/bin/sh
printf '%s\\n' "$*" >> '${log}'
while [ $# -gt 0 ]; do [ "$1" = call ] && break; shift; done
case "$2.$3" in
rt.echo.echo) printf '%s\\n' "$4" ;;
rt.echo.none) ;;
rt.echo.fail) echo 'Command failed: Permission denied' >&2; exit 250 ;;
rt.echo.garbled) echo 'not json' ;;
rt.echo.slow) exec sleep 5 ;;
*) echo 'Command failed: Not found' >&2; exit 4 ;;
esac
`,
		);
		chmodSync(fake, 0o755);
	});

	it('falls back to the program when no socket can be opened, and says so', async () => {
		const u = await connectUbus(rt, path.join(dir, 'missing.sock'), { program: fake });
		open.push(u);
		expect(u.transport).toBe('ubus cli');
		expect(await u.call('rt.echo', 'echo', { a: 1, s: 'it\'s "quoted"' })).toEqual({ a: 1, s: 'it\'s "quoted"' });
		expect(readFileSync(log, 'utf8').trim().split('\n').at(-1)).toBe(`-s ${path.join(dir, 'missing.sock')} -S -t 30 call rt.echo echo {"a":1,"s":"it's \\"quoted\\""}`);
		expect(await u.call('rt.echo', 'none')).toEqual({});
	});

	it('maps exit codes to statuses and bounds the call by its timeout', async () => {
		const u = await connectUbus(rt, undefined, { transport: 'cli', program: fake });
		open.push(u);
		expect((await failure(u.call('rt.echo', 'fail'))).status).toBe('PERMISSION_DENIED');
		expect((await failure(u.call('no.such', 'x'))).status).toBe('NOT_FOUND');
		expect((await failure(u.call('rt.echo', 'garbled'))).status).toBe('PARSE_ERROR');
		const t0 = Date.now();
		expect((await failure(u.call('rt.echo', 'slow', {}, { timeoutMs: 200 }))).status).toBe('TIMEOUT');
		expect(Date.now() - t0).toBeLessThan(4000);
	});

	it('reports neither socket nor program as CONNECTION_FAILED', async () => {
		const e = await failure(connectUbus(rt, path.join(dir, 'missing.sock'), { program: path.join(dir, 'no-ubus') }));
		expect(e.status).toBe('CONNECTION_FAILED');
	});
});
