// The built bundle on real tjs refuses bad input from keepalived, udhcpc and the config before
// acting: one sentence per problem, the right exit code, nothing written.
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBundle } from '../support/tjs.ts';
import { BASE, NETWORK } from '../unit/config/fixtures.ts';

function root(ha = BASE): string {
	const dir = mkdtempSync(path.join(os.tmpdir(), 'ha-router-input-'));
	mkdirSync(path.join(dir, 'etc/config'), { recursive: true });
	writeFileSync(path.join(dir, 'etc/config/ha-router'), ha);
	writeFileSync(path.join(dir, 'etc/config/network'), NETWORK);
	return dir;
}

describe('bad input on tjs', () => {
	it('notify: a priority above 255 is a usage error', () => {
		const r = runBundle(['notify', '--dry-run', '--root', root(), 'INSTANCE', 'lan', 'MASTER', '999']);
		expect(r.code).toBe(2);
		expect(r.stderr).toBe("notify: priority '999' is out of range; valid: 0..255\n");
	});

	it('lease: an impossible address is refused and lease.json is not written', () => {
		const dir = root();
		const r = runBundle(['lease', '--root', dir, 'ifup', 'wan'], { env: { ip: '999.999.999.999', mask: '24', router: '$(reboot)', subnet: '', lease: '' } });
		expect(r.code).toBe(1);
		expect(r.stderr).toBe(
			"ha-router lease ifup wan: ip '999.999.999.999' is not an IPv4 address; valid: a.b.c.d; nothing recorded\n" +
				"ha-router lease ifup wan: router '$(reboot)' is not an IPv4 address; valid: a.b.c.d; nothing recorded\n",
		);
		expect(readdirSync(dir)).toEqual(['etc']);
	});

	it("check: a macvlan named like the logical interface 'wan' is an error, not an apply failure", () => {
		const dir = root(BASE.replace("option macaddr '02:68:61:00:00:01'", "option macaddr '02:68:61:00:00:01'\n\toption device 'wan'"));
		const r = runBundle(['check', '--root', dir]);
		expect(r.code).toBe(1);
		expect(r.stdout).toBe(
			`${dir}/etc/config/ha-router:14: wan 'wan' option 'device': 'wan' would become section 'wan' of ${dir}/etc/config/network, which is already a section of type 'interface' (line 25); valid: a new name for the macvlan, e.g. 'hawan' [WAN_DEVICE_SECTION]\n`,
		);
	});
});
