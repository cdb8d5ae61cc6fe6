// The ubus client on real tjs 24.12 against the Node protocol test server. tjs is spawned
// asynchronously so this process keeps serving the socket meanwhile.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BlobTable } from '../../src/system/ubus/blob.ts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bundleForTjs, TJS } from '../support/tjs.ts';
import { dataAttr, frame, objIdAttr, statusAttr, UbusTestServer } from '../support/ubus-server.ts';

let dir: string;
let server: UbusTestServer;
let result: Record<string, any>;
let code: number | null;

beforeAll(async () => {
	dir = mkdtempSync(path.join(os.tmpdir(), 'hr4-tjs-ubus-'));
	server = new UbusTestServer(path.join(dir, 'ubus.sock'));
	let id = 0;
	id = server.add('rt.echo', {
		echo: (a) => ({ data: [a] }),
		two: () => ({ data: [{ a: 1 }, { b: 2 }] as BlobTable[] }),
		fail: () => ({ status: 6 }),
		slow: (a) => ({ data: [a], delayMs: Number(a.ms) }),
		silent: () => ({ silent: true }),
		baddata: (_a, c) => ({ raw: Buffer.concat([frame(2, c.seq, id, [objIdAttr(id), dataAttr(Buffer.from('85000010000161000000', 'hex'))]), frame(1, c.seq, id, [statusAttr(0), objIdAttr(id)])]) }),
		garbage: () => ({ raw: Buffer.from('ff'.repeat(64), 'hex') }),
		half: (_a, c) => ({ raw: frame(2, c.seq, id, [objIdAttr(id), dataAttr({ s: 'x'.repeat(100) })]).subarray(0, 40), close: true }),
		muteHello: () => ((server.hello = 'none'), {}),
	});
	await server.start();
	const driver = await bundleForTjs(path.join(import.meta.dirname, 'ubus-client-driver.ts'), path.join(dir, 'driver.js'));
	const child = spawn(TJS, ['run', driver, server.path]);
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (d) => (stdout += d));
	child.stderr.on('data', (d) => (stderr += d));
	const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
	code = await new Promise<number | null>((r) => child.on('close', r));
	clearTimeout(killer);
	if (code !== 0) throw new Error(`driver exited ${code}: ${stderr} ${stdout}`);
	result = JSON.parse(stdout);
}, 60_000);

afterAll(async () => {
	await server?.stop();
	rmSync(dir, { recursive: true, force: true });
});

it('calls over the socket on tjs, with every blobmsg type round-tripped', () => {
	expect(result.transport).toBe('ubus socket');
	expect(result.echo).toEqual({ ok: { a: 1, s: 'ünï', big: 5000000000, d: 1.5, n: null, b: true, l: ['x', 7], t: { k: 'v' } } });
	expect(result.noArgs).toEqual({ ok: {} });
	expect(result.two).toEqual({ ok: { a: 1, b: 2 } });
});

it('names failures and matches concurrent replies', () => {
	expect(result.denied).toEqual({ err: 'PERMISSION_DENIED' });
	expect(result.missing).toEqual({ err: 'NOT_FOUND' });
	expect(result.order).toEqual(['fast', 'slow']);
});

it('times out, survives malformed data, and ends cleanly', () => {
	expect(result.timeout).toEqual({ err: 'TIMEOUT' });
	expect(result.timeoutMs).toBeLessThan(2000);
	expect(result.badData).toEqual({ err: 'PARSE_ERROR' });
	expect(result.afterBadData).toEqual({ ok: { still: 'ok' } });
	expect(result.afterClose).toEqual({ err: 'CONNECTION_FAILED' });
	expect(result.reconnected).toEqual({ newObject: true, echo: { ok: { again: 1 } } });
	expect(result.garbage).toEqual({ err: 'CONNECTION_FAILED' });
	expect(result.half).toEqual({ err: 'CONNECTION_FAILED' });
	expect(result.noSocket).toEqual({ err: 'CONNECTION_FAILED' });
	expect(result.noHello).toEqual({ err: 'CONNECTION_FAILED' });
	expect(result.noHelloMs).toBeLessThan(2000);
	expect(code).toBe(0);
});

it('carries a 200 KB payload both ways without TextDecoder', () => {
	expect(result.bigOk).toBe(true);
});
