// What users read: whole issue lines, every error at once, suggestions, and the --json shape.
import { describe, expect, it } from 'vitest';
import { check } from '../../../src/cli/check.ts';
import { applyUciEdits } from '../../../src/config/apply-uci-edits.ts';
import { buildModel } from '../../../src/config/build-model.ts';
import { didYouMean, editDistance } from '../../../src/config/did-you-mean.ts';
import { formatIssue } from '../../../src/config/issues.ts';
import { nodeRuntime, tempDir } from '../../support/node-runtime.ts';
import { BASE, HA, NET, NETWORK } from './fixtures.ts';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

const build = (ha: string, net: string | null = NETWORK) => buildModel({ haRouter: { path: HA, text: ha }, network: { path: NET, text: net } });

const THREE = applyUciEdits(BASE, HA, [
	{ op: 'set', section: 'lan', option: 'vrid', value: '300' },
	{ op: 'set', section: 'node', option: 'prioirty', value: '90' },
	{ op: 'set', section: 'sync', option: 'peer', value: '192.168.1.2' },
]);

describe('issue lines', () => {
	it('reports three distinct mistakes as three lines, in file order', () => {
		const r = build(THREE);
		expect(r.model).toBeNull();
		expect(r.issues.map(formatIssue)).toEqual([
			`${HA}:4: node 'node' option 'prioirty': unknown option; did you mean 'priority'? [UNKNOWN_OPTION]`,
			`${HA}:8: vrrp 'lan' option 'vrid': '300' is out of range; valid: 1..255 [VRID_RANGE]`,
			`${HA}:18: sync 'sync' option 'peer': '192.168.1.2' is one of this node's own addresses; valid: the other node's address [SYNC_PEER_IS_SELF]`,
		]);
	});

	it('keeps checking values after a bad one in the same list and section', () => {
		const ha = applyUciEdits(BASE, HA, [
			{ op: 'list', section: 'lan', option: 'vip', values: ['bad', '192.168.1.1/24', 'also-bad'] },
			{ op: 'set', section: 'lan', option: 'vrid', value: '0' },
		]);
		expect(build(ha).issues.map((i) => `${i.code} ${i.value}`)).toEqual(['VRID_RANGE 0', 'VIP_INVALID bad', 'VIP_INVALID also-bad']);
	});

	it('names anonymous sections @type[i] and explains what is valid', () => {
		const r = build(`${BASE}\nconfig vrrp\n\toption vrid '1'\n`);
		expect(r.issues.map(formatIssue)).toEqual([
			`${HA}:19: vrrp '@vrrp[1]': a vrrp section needs a name (config vrrp '<name>') [SECTION_NAME_REQUIRED]`,
			`${HA}:19: vrrp '@vrrp[1]' option 'interface': required option 'interface' is missing [OPTION_REQUIRED]`,
			`${HA}:19: vrrp '@vrrp[1]' option 'vip': required list 'vip' is missing [OPTION_REQUIRED]`,
		]);
	});

	it('suggests the closest interface of /etc/config/network', () => {
		const r = build(applyUciEdits(BASE, HA, [{ op: 'set', section: 'sync', option: 'interface', value: 'snyc' }]));
		expect(r.issues.map(formatIssue)).toEqual([`${HA}:16: sync 'sync' option 'interface': 'snyc' is not an interface in ${NET}; did you mean 'sync'? [IFACE_UNKNOWN]`]);
	});

	it('lists the valid choices when nothing is close', () => {
		const r = build(`${BASE}\nconfig frobnicator 'x'\n`);
		expect(r.issues.map(formatIssue)).toEqual([`${HA}:19: frobnicator 'x': unknown section type 'frobnicator'; valid: node, vrrp, wan, sync, site, service, uplink, uplink_rule [UNKNOWN_SECTION_TYPE]`]);
	});

	it('reports a file that does not exist and a syntax error with its column', () => {
		const r = build("config node 'node'\n\toption name 'x' 'y'\n", null);
		expect(r.issues.map(formatIssue)).toEqual([
			`${HA}:2: column 18: parse error: too many arguments [UCI_SYNTAX]`,
			`${NET}: file does not exist [FILE_MISSING]`,
		]);
	});
});

describe('values quoted in messages', () => {
	const lines = (ha: string, net: string = NETWORK) => build(ha, net).issues.map(formatIssue);
	it('escapes a newline or control character so each issue stays one line', () => {
		const ha = applyUciEdits(BASE, HA, [{ op: 'set', section: 'node', option: 'name', value: 'ha\n1\x1b[2J' }]);
		expect(lines(ha)).toEqual([`${HA}:2: node 'node' option 'name': 'ha\\n1\\x1b[2J' is not a usable router id; valid: 1..64 characters from A-Z a-z 0-9 _ . : - [NAME_INVALID]`]);
	});
	it('escapes what comes from /etc/config/network too', () => {
		const net = NETWORK.replace("option device 'br-lan'", "option device 'br\nlan'");
		const ha = applyUciEdits(BASE, HA, [{ op: 'set', section: 'sync', option: 'enabled', value: '0' }]);
		const out = lines(ha, net).filter((l) => !l.includes('warning'));
		expect(out).toEqual([
			`${HA}:6: vrrp 'lan' option 'interface': interface 'lan' is on device 'br\\nlan' (${NET} line 17), which keepalived.conf and nft cannot carry; valid: 1..15 printable characters without '/', ':', '"', '\\' or blanks [IFACE_DEVICE_INVALID]`,
		]);
	});
	it('quotes a huge value shortened, in the line and in --json', () => {
		const huge = 'x'.repeat(5_000_000);
		const r = build(applyUciEdits(BASE, HA, [{ op: 'set', section: 'node', option: 'priority', value: huge }]));
		const cut = `${'x'.repeat(60)}…(5000000 bytes)`;
		expect(r.issues.map(formatIssue)).toEqual([`${HA}:3: node 'node' option 'priority': '${cut}' is not a whole number; valid: 1..254 [NOT_A_NUMBER]`]);
		expect(r.issues[0]!.value).toBe(cut);
	});
	it('counts bytes, not characters, for a shortened UTF-8 value', () => {
		const r = build(applyUciEdits(BASE, HA, [{ op: 'set', section: 'lan', option: 'interface', value: 'é'.repeat(100) }]));
		expect(r.issues[0]!.value).toBe(`${'é'.repeat(60)}…(200 bytes)`);
	});
	it('never echoes the VRRP password, even a bad one', () => {
		const ha = applyUciEdits(BASE, HA, [
			{ op: 'set', section: 'lan', option: 'version', value: '2' },
			{ op: 'set', section: 'lan', option: 'auth_type', value: 'pass' },
			{ op: 'set', section: 'lan', option: 'auth_pass', value: 'se\x07cret' },
		]);
		const r = build(ha);
		expect(r.issues.map(formatIssue)).toEqual([
			`${HA}:12: vrrp 'lan' option 'auth_pass': contains a blank, quote, control character, '#' or '!' that keepalived.conf cannot hold; valid: other printable characters [AUTH_PASS_CHARS]`,
		]);
		expect(JSON.stringify(r.issues)).not.toContain('cret');
	});
});

describe('did you mean', () => {
	it('counts a swap of neighbours as one edit', () => {
		expect(editDistance('vird', 'vrid')).toBe(1);
		expect(editDistance('kitten', 'sitting')).toBe(3);
		expect(editDistance('', 'abc')).toBe(3);
	});
	it('suggests only close names', () => {
		expect(didYouMean('vird', ['interface', 'vrid', 'vip'])).toBe('vrid');
		expect(didYouMean('unicast_peers', ['unicast_peer', 'vip'])).toBe('unicast_peer');
		expect(didYouMean('xyz', ['vrid', 'vip'])).toBeNull();
	});
});

describe('check --json', () => {
	it('prints {valid, errors, warnings} with every field of each issue', async () => {
		const dir = await tempDir();
		await writeFile(path.join(dir, 'ha-router'), applyUciEdits(THREE, HA, [{ op: 'set', section: 'wan', option: 'macaddr', value: '00:11:22:33:44:55' }]));
		await writeFile(path.join(dir, 'network'), NETWORK);
		const rt = nodeRuntime();
		expect(await check.run(rt, ['--json', '--config', dir])).toBe(1);
		const out = JSON.parse(rt.out);
		expect(Object.keys(out)).toEqual(['valid', 'errors', 'warnings']);
		expect(out.valid).toBe(false);
		expect(out.errors.map((e: { code: string }) => e.code)).toEqual(['UNKNOWN_OPTION', 'VRID_RANGE', 'SYNC_PEER_IS_SELF']);
		expect(out.errors[1]).toEqual({
			code: 'VRID_RANGE',
			file: `${dir}/ha-router`,
			line: 8,
			section: 'lan',
			type: 'vrrp',
			option: 'vrid',
			value: '300',
			message: "'300' is out of range; valid: 1..255",
		});
		expect(out.warnings.map((w: { code: string; line: number }) => `${w.code}:${w.line}`)).toEqual(['MAC_NOT_LOCAL:14']);
		expect(rt.err).toBe('');
	});

	it('exits 0 on a valid configuration and 2 on bad usage', async () => {
		const dir = await tempDir();
		await writeFile(path.join(dir, 'ha-router'), BASE);
		await writeFile(path.join(dir, 'network'), NETWORK);
		const rt = nodeRuntime();
		expect(await check.run(rt, ['--config', dir])).toBe(0);
		expect(rt.out).toBe('ha-router check: configuration is valid (0 warnings)\n');
		await expect(check.run(nodeRuntime(), ['--config', dir, 'extra'])).rejects.toMatchObject({ code: 2, message: "check: unexpected argument 'extra'" });
		await expect(check.run(nodeRuntime(), ['--frob'])).rejects.toMatchObject({ code: 2 });
	});
});

describe('check renders what apply would', () => {
	it('refuses a network file apply could not edit, instead of failing during apply', async () => {
		const dir = await tempDir();
		await writeFile(path.join(dir, 'ha-router'), BASE);
		await writeFile(path.join(dir, 'network'), NETWORK.replace("option device 'eth1'\n\toption proto 'dhcp'", "option device 'eth1'; option proto 'dhcp'"));
		const rt = nodeRuntime();
		expect(await check.run(rt, ['--config', dir])).toBe(1);
		expect(rt.out).toBe(`${dir}/network: apply cannot edit this file: cannot apply set wan.device: line 26 holds several commands separated by ';' [UCI_EDIT_REFUSED]\n`);
	});
	it('refuses a config directory keepalived.conf cannot name in its notify line', async () => {
		const { mkdir } = await import('node:fs/promises');
		const dir = path.join(await tempDir(), "it's");
		await mkdir(dir);
		await writeFile(path.join(dir, 'ha-router'), BASE);
		await writeFile(path.join(dir, 'network'), NETWORK);
		const rt = nodeRuntime();
		expect(await check.run(rt, ['--config', dir])).toBe(1);
		expect(rt.out).toBe(`${dir}/ha-router: apply cannot render this configuration: cannot quote argument "${dir}" [RENDER_REFUSED]\n`);
	});
});

describe('loadConfig', () => {
	it('reports a config path that cannot be read as an issue, not a crash', async () => {
		const { mkdir } = await import('node:fs/promises');
		const { loadConfig } = await import('../../../src/config/load-config.ts');
		const dir = await tempDir();
		await mkdir(path.join(dir, 'ha-router'));
		await writeFile(path.join(dir, 'network'), NETWORK);
		const r = await loadConfig(nodeRuntime(), `${dir}/`);
		expect(r.model).toBeNull();
		expect(r.issues.map((i) => `${i.at.file} ${i.code}`)).toEqual([`${dir}/ha-router FILE_UNREADABLE`]);
		expect(r.texts).toEqual({ haRouter: null, network: NETWORK });
		expect(r.network?.sections.length).toBeGreaterThan(3);
	});
});
