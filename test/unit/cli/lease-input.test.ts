// Every field of a reported WAN lease is checked before ha-router stores it or loads it into nft.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lease } from '../../../src/cli/lease.ts';
import { leaseFromStatus, leaseFromUdhcpc } from '../../../src/cli/lease-input.ts';
import { nodeRuntime, tempDir } from '../../support/node-runtime.ts';
import { BASE, NETWORK } from '../config/fixtures.ts';

const env = (vars: Record<string, string>) => (name: string) => vars[name];

describe('leaseFromUdhcpc', () => {
	it('reads ip, mask, the first router and the lease time', () => {
		expect(leaseFromUdhcpc(env({ ip: '198.51.100.7', mask: '24', router: '198.51.100.1 198.51.100.2', lease: '300' }), 5)).toEqual({
			address: { address: '198.51.100.7', prefix: 24, family: 4 },
			gateway: '198.51.100.1',
			since: 5,
			leaseTime: 300,
		});
	});
	it('takes the prefix from subnet when mask is absent, and has no gateway without a router', () => {
		expect(leaseFromUdhcpc(env({ ip: '198.51.100.7', subnet: '255.255.255.240' }), 0)).toMatchObject({ address: { prefix: 28 }, gateway: null, leaseTime: null });
	});
	it('is null when udhcpc reported no address (netifd is asked instead)', () => {
		expect(leaseFromUdhcpc(env({}), 0)).toBeNull();
	});
	it.each([
		[{ ip: '999.999.999.999' }, ["ip '999.999.999.999' is not an IPv4 address; valid: a.b.c.d"]],
		[{ ip: '127.0.0.1' }, ["ip '127.0.0.1' cannot be a lease address; valid: a unicast IPv4 address"]],
		[{ ip: '198.51.100.7', router: '$(reboot)' }, ["router '$(reboot)' is not an IPv4 address; valid: a.b.c.d"]],
		[{ ip: '198.51.100.7', router: '198.51.100.1 255.255.255.255' }, ["router '255.255.255.255' cannot be a gateway; valid: a unicast IPv4 address"]],
		[{ ip: '198.51.100.7', mask: '33' }, ["mask '33' is not a prefix length; valid: 0..32"]],
		[{ ip: '198.51.100.7', mask: '24x' }, ["mask '24x' is not a prefix length; valid: 0..32"]],
		[{ ip: '198.51.100.7', subnet: '255.0.255.0' }, ["subnet '255.0.255.0' is not a netmask; valid: e.g. 255.255.255.0"]],
		[{ ip: '198.51.100.7', lease: '-1' }, ["lease '-1' is not a lease time; valid: 1..4294967295 seconds"]],
		[{ ip: '198.51.100.7', lease: '0' }, ["lease '0' is not a lease time; valid: 1..4294967295 seconds"]],
		[{ ip: '1.2.3.4\nrm -rf /', mask: '8\n' }, ["ip '1.2.3.4\\nrm -rf /' is not an IPv4 address; valid: a.b.c.d", "mask '8\\n' is not a prefix length; valid: 0..32"]],
	])('%j is refused', (vars, problems) => {
		expect(leaseFromUdhcpc(env(vars), 0)).toEqual(problems);
	});
});

describe('leaseFromStatus', () => {
	it('checks what netifd or iproute2 reported as well', () => {
		expect(leaseFromStatus({ address: { address: '198.51.100.7', prefix: 24, family: 4 }, gateway: '198.51.100.1' }, 9)).toEqual({
			address: { address: '198.51.100.7', prefix: 24, family: 4 },
			gateway: '198.51.100.1',
			since: 9,
			leaseTime: null,
		});
		expect(leaseFromStatus({ address: { address: '198.51.100.300', prefix: 40, family: 4 }, gateway: 'x' }, 0)).toEqual([
			"address '198.51.100.300' is not an IPv4 address; valid: a.b.c.d",
			"prefix '40' is not a prefix length; valid: 0..32",
			"gateway 'x' is not an IPv4 address; valid: a.b.c.d",
		]);
	});
});

describe('ha-router lease with a bad lease', () => {
	it.each([
		[{ ip: '999.999.999.999', mask: '24' }, "ha-router lease ifup wan: ip '999.999.999.999' is not an IPv4 address; valid: a.b.c.d; nothing recorded"],
		[{ ip: '198.51.100.7', mask: '24', router: '$(reboot)' }, "ha-router lease ifup wan: router '$(reboot)' is not an IPv4 address; valid: a.b.c.d; nothing recorded"],
	])('%j: exits 1, one line per problem, writes nothing', async (vars, line) => {
		const root = await tempDir();
		await mkdir(path.join(root, 'etc/config'), { recursive: true });
		await writeFile(path.join(root, 'etc/config/ha-router'), BASE);
		await writeFile(path.join(root, 'etc/config/network'), NETWORK);
		// Every name lease reads, so nothing comes from the test's own environment.
		const rt = nodeRuntime({ env: { subnet: '', router: '', lease: '', ...vars } });
		await expect(lease.run(rt, ['--root', root, 'ifup', 'wan'])).rejects.toMatchObject({ code: 1, message: line });
		expect(await readdir(root)).toEqual(['etc']);
	});
});
