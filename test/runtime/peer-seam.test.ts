// The peer link's part of the Runtime seam (bindUdp, watchNetlink, sendFrame in src/runtime/tjs.ts)
// on the real tjs 24.12 binary, in a network namespace of its own (root only).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TJS, bundleForTjs } from '../support/tjs.ts';

const root = process.getuid?.() === 0;
const ns = `ha-peer-seam-${process.pid}`;
let dir: string;
let out: Record<string, unknown>;

describe.skipIf(!root)('peer seam on tjs (netns)', () => {
	beforeAll(async () => {
		dir = mkdtempSync(path.join(os.tmpdir(), 'ha-peer-'));
		const probe = await bundleForTjs(path.join(import.meta.dirname, 'peer-probe.ts'), path.join(dir, 'peer-probe.js'));
		spawnSync('ip', ['netns', 'add', ns]);
		const r = spawnSync('ip', ['netns', 'exec', ns, TJS, 'run', probe], { encoding: 'utf8', timeout: 20_000 });
		if (r.status !== 0) throw new Error(`probe exited ${r.status}: ${r.stderr}`);
		out = JSON.parse(r.stdout) as Record<string, unknown>;
	});

	afterAll(() => {
		spawnSync('ip', ['netns', 'del', ns]);
		rmSync(dir, { recursive: true, force: true });
	});

	it('sends and receives UDP datagrams with the sender address, and a closed socket is done', () => {
		expect(out.udp).toEqual({ text: 'ping', from: '127.0.0.1', port: 'number' });
		expect(out.udpBack).toBe('pong');
		expect([out.afterClose, out.receiveClosed, out.sendClosed]).toEqual([null, null, 'EBADF']);
		expect(out.rebound).toBe(true);
	});

	it('sees an IPv4 address added and removed through rtnetlink', () => {
		expect(out.events).toEqual([
			{ added: true, address: '10.77.0.1' },
			{ added: false, address: '10.77.0.1' },
		]);
	});

	it('sends a raw Ethernet frame, and refuses a device that does not exist', () => {
		expect(out.frameSent).toBe(true);
		expect(out.noDevice).toBe('ENODEV');
	});
});
