// The real tools accept every golden file: keepalived -t, nft -c, and conntrackd starting and
// answering on its socket, each inside a throwaway network namespace (hr5-*) that has the devices
// and addresses the Model names. Needs root and keepalived, conntrackd, nft, ip.

import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Paths, pathsFor } from '../../../src/model/paths.ts';
import type { Model } from '../../../src/model/types.ts';
import { renderConntrackd } from '../../../src/render/conntrackd.ts';
import { renderKeepalived } from '../../../src/render/keepalived.ts';
import { serviceMapUpdate } from '../../../src/render/services.ts';
import { cases } from './models.ts';
import { caseLease } from './render-case.ts';
import { type Netns, haveTools, withNetns } from './netns.ts';

const GOLDEN = join(import.meta.dirname, '../../golden');
const ROUTER = pathsFor('');
const tools = haveTools(['ip', 'keepalived', 'conntrackd', 'nft']);

let root = '';
let paths: Paths;

beforeAll(() => {
	if (!tools) return;
	// Root-owned, not group/other-writable: keepalived's enable_script_security checks the notify script's path.
	root = mkdtempSync(join(tmpdir(), 'hr5-render-'));
	chmodSync(root, 0o755);
	const stub = join(root, 'ha-router-stub');
	writeFileSync(stub, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
	paths = pathsFor(root, `${root}/etc/config`, [stub]);
	for (const dir of [paths.runDir, dirname(paths.keepalivedConf), dirname(paths.conntrackdConf), dirname(paths.conntrackdLock), dirname(paths.conntrackdSocket)]) {
		mkdirSync(dir, { recursive: true, mode: 0o755 });
	}
});

afterAll(() => {
	if (root !== '') rmSync(root, { recursive: true, force: true });
});

/** The golden text with the router's paths swapped for this test's: proves the tools see the golden bytes. */
function withTestPaths(golden: string): string {
	let text = golden.replaceAll(`"${ROUTER.self.join(' ')} notify"`, `"${paths.self.join(' ')} notify"`);
	for (const key of ['trackFile', 'conntrackdLock', 'conntrackdSocket', 'keepalivedWan'] as const) text = text.replaceAll(ROUTER[key], paths[key]);
	return text;
}

function golden(name: string, file: string): string {
	return readFileSync(join(GOLDEN, name, file), 'utf8');
}

/** Every device keepalived's config names, with the node's own addresses on them. */
function keepalivedDevices(ns: Netns, model: Model): void {
	const devices = new Set<string>();
	for (const g of model.groups) {
		devices.add(g.device);
		for (const v of g.vips) devices.add(v.device);
		for (const t of g.trackInterfaces) devices.add(t);
	}
	if (model.wan) devices.add(model.wan.device);
	for (const d of [...devices].sort()) ns.device(d);
	for (const g of model.groups) ns.address(g.device, `${g.address.address}/${g.address.prefix}`);
}

/** The WAN part keepalived.conf includes, as the golden has it (or its absence). */
function writeWanPart(c: (typeof cases)[number]): void {
	rmSync(paths.keepalivedWan, { force: true });
	if (c.model.wan) writeFileSync(paths.keepalivedWan, golden(c.name, 'keepalived-wan.conf'), { mode: 0o644 });
}

/** keepalived -t on `text` in a namespace holding the Model's devices and addresses. */
async function keepalivedCheck(name: string, model: Model, text: string) {
	writeFileSync(paths.keepalivedConf, text, { mode: 0o644 });
	chmodSync(paths.keepalivedConf, 0o644);
	// keepalived -t exits 0 for a missing or executable file: make sure it is neither.
	expect(statSync(paths.keepalivedConf).mode & 0o777).toBe(0o644);
	return withNetns(name, (ns) => {
		keepalivedDevices(ns, model);
		return ns.exec(['keepalived', '-t', '-f', paths.keepalivedConf]);
	});
}

/** nft -c of one file in a fresh namespace. */
function nftCheck(name: string, file: string) {
	return withNetns(name, (ns) => ns.exec(['nft', '-c', '-f', file]));
}

/** Starts conntrackd on `text` for ~1 s in a namespace with the sync link; returns whether it stayed up and what -s said. */
async function conntrackdRun(name: string, model: Model, text: string) {
	const sync = model.sync!;
	const conf = paths.conntrackdConf;
	writeFileSync(conf, text, { mode: 0o644 });
	rmSync(paths.conntrackdLock, { force: true });
	rmSync(paths.conntrackdSocket, { force: true });
	return withNetns(name, async (ns) => {
		const peer = ns.device(sync.device);
		const v6 = sync.localAddress.includes(':');
		ns.address(sync.device, `${sync.localAddress}/${v6 ? 64 : 24}`);
		if (sync.peerAddress !== null) ns.address(peer, `${sync.peerAddress}/${v6 ? 64 : 24}`);
		const child = spawn('ip', ['netns', 'exec', ns.name, 'conntrackd', '-C', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
		let output = '';
		child.stdout.on('data', (d) => (output += d));
		child.stderr.on('data', (d) => (output += d));
		const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
		try {
			await new Promise((r) => setTimeout(r, 1000));
			const alive = child.exitCode === null && child.signalCode === null;
			const stats = alive ? ns.exec(['conntrackd', '-C', conf, '-s']) : null;
			return { alive, output, stats, socket: existsSync(paths.conntrackdSocket) };
		} finally {
			// `ip netns exec` execs conntrackd, so this pid is the daemon's.
			if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
			const killer = setTimeout(() => {
				if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
			}, 3000);
			await exited;
			clearTimeout(killer);
		}
	});
}

describe.skipIf(!tools)('real tools accept the golden files', () => {
	describe.each(cases)('$name', (c) => {
		const short = c.name.slice(0, 2);

		it('keepalived -t', async () => {
			const text = renderKeepalived(c.model, paths);
			expect(text).toBe(withTestPaths(golden(c.name, 'keepalived.conf')));
			writeWanPart(c);
			const r = await keepalivedCheck(`hr5-ka-${short}`, c.model, text);
			expect(r.stderr).toBe('');
			expect(r.code).toBe(0);
		});

		it('nft -c (ruleset and the fw4 input include), then loaded twice', async () => {
			const ruleset = join(GOLDEN, c.name, 'ruleset.nft');
			const wrapper = join(root, `fw4-${short}.nft`);
			writeFileSync(
				wrapper,
				`table inet hr5_fw4 {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t\tinclude "${join(GOLDEN, c.name, 'fw4-input.nft')}"\n\t}\n}\n`,
			);
			for (const file of [ruleset, wrapper]) {
				const r = await nftCheck(`hr5-nft-${short}`, file);
				expect(r.stderr, file).toBe('');
				expect(r.code, file).toBe(0);
			}
			await withNetns(`hr5-nft-${short}`, (ns) => {
				// The declare/flush/define script replaces itself when loaded again.
				for (let i = 0; i < 2; i++) expect(ns.exec(['nft', '-f', ruleset]).code).toBe(0);
				expect(ns.exec(['nft', 'list', 'table', 'inet', 'ha_router']).code).toBe(0);
				// A health change rewrote a map (slots merged into one range): the whole table still loads over it.
				for (const s of c.model.services) {
					const update = join(root, `health-${short}-${s.name}.nft`);
					writeFileSync(update, serviceMapUpdate(s, [s.backends[0]!.address]));
					expect(ns.exec(['nft', '-f', update]).code).toBe(0);
					const again = ns.exec(['nft', '-f', ruleset]);
					expect(again.stderr).toBe('');
				}
			});
		});

		it.skipIf(c.model.sync === null)('conntrackd starts, stays up 1 s and answers -s', async () => {
			const text = renderConntrackd(c.model, paths, { conntrackMax: c.conntrackMax })!;
			expect(text).toBe(withTestPaths(golden(c.name, 'conntrackd.conf')));
			const r = await conntrackdRun(`hr5-ct-${short}`, c.model, text);
			expect(r.alive, r.output).toBe(true);
			expect(r.socket).toBe(true);
			expect(r.stats?.code, r.stats?.stderr).toBe(0);
			expect(r.stats?.stdout).toMatch(/cache/);
		});
	});
});

// Negative controls: the same checks reject broken input, so a pass above means something.
describe.skipIf(!tools)('the checks catch mistakes', () => {
	const c = cases[0]!;

	it('keepalived -t flags nopreempt with state MASTER', async () => {
		const nopreempt = cases.find((x) => x.name === '08_nopreempt')!;
		const text = renderKeepalived(nopreempt.model, paths).replace('state BACKUP', 'state MASTER');
		const r = await keepalivedCheck('hr5-ka-neg', nopreempt.model, text);
		expect(r.code).not.toBe(0);
		expect(r.stderr).toMatch(/nopreempt/);
	});

	it('keepalived -t flags an interface missing from the namespace', async () => {
		const text = renderKeepalived(c.model, paths).replaceAll('br-lan', 'hr5nodev');
		const r = await keepalivedCheck('hr5-ka-neg', c.model, text);
		expect(r.code).not.toBe(0);
	});

	it('nft -c rejects a bad rule', async () => {
		const file = join(root, 'bad.nft');
		writeFileSync(file, golden(c.name, 'ruleset.nft').replace('snat ip to', 'snat ip too'));
		expect((await nftCheck('hr5-nft-neg', file)).code).not.toBe(0);
	});

	it('conntrackd does not stay up on an unknown keyword', async () => {
		const text = renderConntrackd(c.model, paths, { conntrackMax: c.conntrackMax })!.replace('StartupResync on', 'StartupResynk on');
		const r = await conntrackdRun('hr5-ct-neg', c.model, text);
		expect(r.alive).toBe(false);
	});
});

// keepalived really running on a golden config: alone in its namespace it becomes MASTER, adds the
// VIP, and runs our notify exactly as the hook expects (one group event with a sync group).
describe.skipIf(!tools)('keepalived runs the golden config', () => {
	it.each(['01_single_vip', '07_sync_group'])('%s: MASTER, VIP added, notify arguments', async (name) => {
		const c = cases.find((x) => x.name === name)!;
		const dir = mkdtempSync(join(root, 'run-'));
		chmodSync(dir, 0o755);
		const events = join(dir, 'events');
		const stub = join(dir, 'notify-stub');
		writeFileSync(stub, `#!/bin/sh\necho "$@" >> ${events}\n`, { mode: 0o755 });
		const runPaths = pathsFor(root, `${root}/etc/config`, [stub]);
		rmSync(runPaths.trackFile, { force: true });
		const conf = join(dir, 'keepalived.conf');
		writeFileSync(conf, renderKeepalived(c.model, runPaths), { mode: 0o644 });
		writeWanPart(c);
		await withNetns(`hr5-kr-${name.slice(0, 2)}`, async (ns) => {
			keepalivedDevices(ns, c.model);
			const pid = (f: string) => join(dir, f);
			const child = spawn('ip', ['netns', 'exec', ns.name, 'keepalived', '-n', '-l', '-D', '-f', conf, '-p', pid('k.pid'), '-r', pid('v.pid'), '-c', pid('c.pid')], { stdio: 'ignore' });
			const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
			try {
				const until = Date.now() + 8000;
				while (Date.now() < until && !(existsSync(events) && readFileSync(events, 'utf8').includes('MASTER'))) await new Promise((r) => setTimeout(r, 100));
				const lines = existsSync(events) ? readFileSync(events, 'utf8').trim().split('\n') : [];
				const expected = c.model.groups.length > 1 ? 'notify GROUP ha_router MASTER 0' : `notify INSTANCE ${c.model.groups[0]!.name} MASTER ${c.model.node.priority}`;
				expect(lines).toContain(expected);
				// With a sync group the members report nothing themselves.
				if (c.model.groups.length > 1) expect(lines.every((l) => l.startsWith('notify GROUP ha_router '))).toBe(true);
				const vip = c.model.groups[0]!.vips[0]!;
				expect(ns.exec(['ip', 'addr', 'show', 'dev', vip.device]).stdout).toContain(`${vip.address}/${vip.prefix}`);
				// keepalived carries the WAN: the lease address on the shared-MAC device, the default route through it.
				const lease = caseLease(c);
				if (c.model.wan && lease) {
					expect(ns.exec(['ip', '-4', 'addr', 'show', 'dev', c.model.wan.device]).stdout).toContain(`${lease.address.address}/${lease.address.prefix}`);
					expect(ns.exec(['ip', '-4', 'route', 'show', 'default']).stdout).toContain(`via ${lease.gateway} dev ${c.model.wan.device}`);
					// netifd taking the address away (a `wan` restart on the MASTER, contract C43): keepalived puts it back.
					const cidr = `${lease.address.address}/${lease.address.prefix}`;
					expect(ns.exec(['ip', '-4', 'addr', 'del', cidr, 'dev', c.model.wan.device]).code).toBe(0);
					const back = Date.now() + 5000;
					while (Date.now() < back && !ns.exec(['ip', '-4', 'addr', 'show', 'dev', c.model.wan.device]).stdout.includes(cidr)) await new Promise((r) => setTimeout(r, 100));
					expect(ns.exec(['ip', '-4', 'addr', 'show', 'dev', c.model.wan.device]).stdout).toContain(cidr);
				}
				expect(readFileSync(runPaths.trackFile, 'utf8').trim()).toBe('0');
			} finally {
				if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
				const killer = setTimeout(() => {
					if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
				}, 3000);
				await exited;
				clearTimeout(killer);
			}
		});
	});
});
