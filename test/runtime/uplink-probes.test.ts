// The uplink probes (src/exec/uplink-probes.ts) and the tjs Runtime's ICMP socket and TCP probe on
// the real tjs 24.12 binary, between two network namespaces of their own (root only): ICMP echo,
// TCP connect and DNS query from a chosen source address, answered, refused and dropped.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TJS, bundleForTjs } from '../support/tjs.ts';

const root = process.getuid?.() === 0;
const near = `ha-probes-c-${process.pid}`;
const far = `ha-probes-f-${process.pid}`;
let dir: string;
let out: Record<string, any>;

function sh(...argv: string[]): void {
	const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
	if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
}

describe.skipIf(!root)('uplink probes on tjs (netns)', () => {
	beforeAll(async () => {
		dir = mkdtempSync(path.join(os.tmpdir(), 'ha-probes-'));
		const probe = await bundleForTjs(path.join(import.meta.dirname, 'uplink-probes-probe.ts'), path.join(dir, 'probe.js'));
		sh('ip', 'netns', 'add', near);
		sh('ip', 'netns', 'add', far);
		sh('ip', 'link', 'add', 'veth0', 'netns', near, 'type', 'veth', 'peer', 'name', 'veth1', 'netns', far);
		for (const [ns, dev, addrs] of [[near, 'veth0', ['10.201.0.1/24', '10.201.0.3/24']], [far, 'veth1', ['10.201.0.2/24', '10.201.0.4/24', '10.201.0.5/24']]] as const) {
			sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
			for (const a of addrs) sh('ip', '-n', ns, 'addr', 'add', a, 'dev', dev);
			sh('ip', '-n', ns, 'link', 'set', dev, 'up');
		}
		// .5 answers ARP, then drops everything: the lost probe.
		const nft = spawnSync('ip', ['netns', 'exec', far, 'nft', '-f', '-'], {
			input: 'table inet drop5 {\n\tchain input {\n\t\ttype filter hook input priority 0; policy accept;\n\t\tip daddr 10.201.0.5 drop\n\t}\n}\n',
			encoding: 'utf8',
		});
		if (nft.status !== 0) throw new Error(`nft: ${nft.stderr}`);
		// dnsmasq without upstreams answers REFUSED, which still counts; it logs each client's address.
		sh('ip', 'netns', 'exec', far, 'dnsmasq', '--no-resolv', '--no-hosts', '--listen-address=10.201.0.2', '--bind-interfaces', `--pid-file=${dir}/dnsmasq.pid`, '--log-queries', `--log-facility=${dir}/dnsmasq.log`);
		const r = spawnSync('ip', ['netns', 'exec', near, TJS, 'run', probe], { encoding: 'utf8', timeout: 30_000 });
		if (r.status !== 0) throw new Error(`probe exited ${r.status}: ${r.stderr}`);
		out = JSON.parse(r.stdout);
	});

	afterAll(() => {
		const pid = (() => {
			try {
				return readFileSync(`${dir}/dnsmasq.pid`, 'utf8').trim();
			} catch {
				return '';
			}
		})();
		if (pid) spawnSync('kill', [pid]);
		spawnSync('ip', ['netns', 'del', near]);
		spawnSync('ip', ['netns', 'del', far]);
		rmSync(dir, { recursive: true, force: true });
	});

	const rtt = (x: unknown) => typeof x === 'number' && x > 0 && x < 50;

	it('answers echoes on loopback and over the veth with a plausible round trip', () => {
		expect([out.loopback, out.near, out.large].every(rtt)).toBe(true);
	});

	it('gives each of several concurrent echoes its own reply, and null to the dropped one', () => {
		const [a, b, lost, c] = out.concurrent;
		expect([rtt(a), rtt(b), lost, rtt(c)]).toEqual([true, true, null, true]);
	});

	it('loses a dropped echo within its timeout, and ends pending ones at close', () => {
		expect(out.lost.value).toBeNull();
		expect(out.lost.ms).toBeGreaterThanOrEqual(290);
		expect(out.lost.ms).toBeLessThan(600);
		expect(out.closed).toEqual({ pending: null, after: { error: 'EBADF' } });
	});

	it('binds each socket to its source: two sources at once, a vanished source is lost, not thrown', () => {
		expect(out.twoSources.every(rtt)).toBe(true);
		expect(out.vanished).toEqual({ value: null });
		expect(rtt(out.back)).toBe(true);
		expect(out.notOurs).toEqual({ error: 'EADDRNOTAVAIL' });
	});

	it('probes by ICMP through ProbeSockets, following the source address', () => {
		expect(rtt(out.icmp.near) && rtt(out.icmp.otherSource)).toBe(true);
		expect(out.icmp.dropped.value).toBeNull();
		expect(out.icmp.dropped.ms).toBeLessThan(700);
		expect(out.icmp.notOurs).toEqual({ value: null });
	});

	it('probes by TCP connect from the source: open counts, refused and dropped do not, no fd is left behind', () => {
		expect(rtt(out.tcp.open)).toBe(true);
		expect(out.tcp.closedPort).toBeNull();
		expect(out.tcp.dropped.value).toBeNull();
		expect(out.tcp.dropped.ms).toBeLessThan(700);
		expect(out.tcp.notOurs).toEqual({ value: null });
		expect(out.tcpFdsLeft).toBe(0);
	});

	it('probes by DNS query from the source: any answer counts, silence and no server do not', () => {
		expect(rtt(out.dns.answered)).toBe(true);
		expect(out.dns.silent.value).toBeNull();
		expect(out.dns.silent.ms).toBeLessThan(700);
		expect(out.dns.noServer).toBeNull();
		expect(out.dns.notOurs).toEqual({ value: null });
		expect(readFileSync(`${dir}/dnsmasq.log`, 'utf8')).toContain('query[NS] . from 10.201.0.3');
	});
});
