// Lossless edits: exact output text for each kind of edit, and clear errors for edits that cannot apply.
import { describe, expect, it } from 'vitest';
import { UciEditError, applyUciEdits } from '../../../src/config/apply-uci-edits.ts';

const NETWORK = `# managed by hand, keep this comment

config interface 'loopback'
	option device 'lo'
	option proto "static"   # double quotes stay
	option ipaddr '127.0.0.1'
	option netmask '255.0.0.0'

config interface 'lan'
	option device 'br-lan'
	option proto 'static'
	list ipaddr '192.168.1.2/24'

# the WAN
config interface 'wan'
	option device 'eth1'
	option proto 'dhcp'

config rule
	option src 'lan'
`;

describe('applyUciEdits', () => {
	it('changes a value in place, keeping indentation and trailing comments', () => {
		const out = applyUciEdits(NETWORK, 'network', [{ op: 'set', section: 'loopback', option: 'proto', value: 'none' }]);
		expect(out).toBe(NETWORK.replace(`option proto "static"   # double quotes stay`, `option proto 'none'   # double quotes stay`));
	});
	it('rewrites a repeated option where libuci keeps it: at its first command', () => {
		const text = "config t 's'\n\toption a '1'\n\toption b '2'\n\toption a '3'\n";
		expect(applyUciEdits(text, 'f', [{ op: 'set', section: 's', option: 'a', value: '4' }])).toBe("config t 's'\n\toption a '4'\n\toption b '2'\n");
		const list = "config t 's'\n\toption a '1'\n\toption b '2'\n\tlist a '3'\n";
		expect(applyUciEdits(list, 'f', [{ op: 'list', section: 's', option: 'a', values: ['x', 'y'] }])).toBe("config t 's'\n\tlist a 'x'\n\tlist a 'y'\n\toption b '2'\n");
	});
	it('adds an option after the last command of the section', () => {
		const out = applyUciEdits(NETWORK, 'network', [{ op: 'set', section: 'wan', option: 'auto', value: '0' }]);
		expect(out).toBe(NETWORK.replace(`option proto 'dhcp'\n`, `option proto 'dhcp'\n\toption auto '0'\n`));
	});
	it('leaves the text alone when the value is already there', () => {
		expect(applyUciEdits(NETWORK, 'network', [{ op: 'set', section: 'wan', option: 'proto', value: 'dhcp' }])).toBe(NETWORK);
		expect(applyUciEdits(NETWORK, 'network', [{ op: 'list', section: 'lan', option: 'ipaddr', values: ['192.168.1.2/24'] }])).toBe(NETWORK);
	});
	it('replaces a list with several items and deletes with an empty list', () => {
		const out = applyUciEdits(NETWORK, 'network', [{ op: 'list', section: 'lan', option: 'ipaddr', values: ['10.0.0.1/8', "it's"] }]);
		expect(out).toBe(NETWORK.replace(`list ipaddr '192.168.1.2/24'\n`, `list ipaddr '10.0.0.1/8'\n\tlist ipaddr 'it'\\''s'\n`));
		const del = applyUciEdits(NETWORK, 'network', [{ op: 'list', section: 'lan', option: 'ipaddr', values: [] }]);
		expect(del).toBe(NETWORK.replace(`\tlist ipaddr '192.168.1.2/24'\n`, ''));
	});
	it('deletes an option with an empty set or delete', () => {
		const want = NETWORK.replace(`\toption netmask '255.0.0.0'\n`, '');
		expect(applyUciEdits(NETWORK, 'network', [{ op: 'set', section: 'loopback', option: 'netmask', value: '' }])).toBe(want);
		expect(applyUciEdits(NETWORK, 'network', [{ op: 'delete', section: 'loopback', option: 'netmask' }])).toBe(want);
	});
	it('deletes a whole section with one of the blank lines around it', () => {
		const out = applyUciEdits(NETWORK, 'network', [{ op: 'delete', section: 'lan' }]);
		expect(out).toBe(NETWORK.replace(`config interface 'lan'\n\toption device 'br-lan'\n\toption proto 'static'\n\tlist ipaddr '192.168.1.2/24'\n\n`, ''));
	});
	it('addresses anonymous sections with @type[i]', () => {
		const out = applyUciEdits(NETWORK, 'network', [{ op: 'set', section: '@rule[-1]', option: 'dest', value: 'wan' }]);
		expect(out).toBe(`${NETWORK}\toption dest 'wan'\n`);
	});
	it('appends a new named section and fills it', () => {
		const out = applyUciEdits(NETWORK, 'network', [
			{ op: 'section', type: 'device', name: 'hawan' },
			{ op: 'set', section: 'hawan', option: 'type', value: 'macvlan' },
			{ op: 'set', section: 'hawan', option: 'ifname', value: 'eth1' },
		]);
		expect(out).toBe(`${NETWORK}\nconfig device 'hawan'\n\toption type 'macvlan'\n\toption ifname 'eth1'\n`);
		expect(applyUciEdits(out, 'network', [{ op: 'section', type: 'device', name: 'hawan' }])).toBe(out);
	});
	it('treats missing delete targets as done', () => {
		expect(applyUciEdits(NETWORK, 'network', [{ op: 'delete', section: 'nope' }, { op: 'delete', section: 'wan', option: 'nope' }])).toBe(NETWORK);
	});
	it.each([
		[{ op: 'set', section: 'nope', option: 'a', value: '1' }, "network: cannot apply set nope.a: no section 'nope'"],
		[{ op: 'set', section: 'wan', option: 'bad-name', value: '1' }, "network: cannot apply set wan.bad-name: option name 'bad-name' must match [A-Za-z0-9_]+"],
		[{ op: 'section', type: 'bridge', name: 'wan' }, "network: cannot apply section bridge 'wan': section 'wan' exists with type 'interface' (line 15)"],
		[{ op: 'section', type: 'my type', name: 'x' }, "network: cannot apply section my type 'x': section type 'my type' must match [A-Za-z0-9_-]+"],
		[{ op: 'set', section: 'wan', option: 'a', value: 'x\0y' }, 'network: cannot apply set wan.a: the value holds a NUL byte, which a UCI file cannot store'],
		[{ op: 'list', section: 'wan', option: 'a', values: ['ok', '\0'] }, 'network: cannot apply list wan.a: the value holds a NUL byte, which a UCI file cannot store'],
		[{ op: 'section', type: 'device', name: 'x-1' }, "network: cannot apply section device 'x-1': section name 'x-1' must match [A-Za-z0-9_]+"],
	] as const)('refuses %j', (edit, message) => {
		expect(() => applyUciEdits(NETWORK, 'network', [edit])).toThrow(UciEditError);
		expect(() => applyUciEdits(NETWORK, 'network', [edit])).toThrow(message);
	});
	it('refuses to rewrite a line that holds several commands', () => {
		const text = "config a 'x'\n\toption b 'y'; option c 'z'\n";
		expect(() => applyUciEdits(text, 'f', [{ op: 'set', section: 'x', option: 'b', value: 'q' }])).toThrow("f: cannot apply set x.b: line 2 holds several commands separated by ';'");
	});
	it('writes CRLF line endings into a CRLF file', () => {
		const crlf = "config a 'x'\r\n\toption b '1'\r\n";
		const out = applyUciEdits(crlf, 'f', [
			{ op: 'set', section: 'x', option: 'c', value: '2' },
			{ op: 'list', section: 'x', option: 'b', values: ['1', '3'] },
			{ op: 'section', type: 't', name: 'y' },
		]);
		expect(out).toBe("config a 'x'\r\n\tlist b '1'\r\n\tlist b '3'\r\n\toption c '2'\r\n\r\nconfig t 'y'\r\n");
	});
	it('refuses to delete a section sharing a line with another', () => {
		const text = "config a 'x'\n\toption b '1'; config a 'y'\n\toption c 'z'\n";
		expect(() => applyUciEdits(text, 'f', [{ op: 'delete', section: 'x' }])).toThrow("f: cannot apply delete x: line 2 mixes it with another section's commands");
		expect(() => applyUciEdits(text, 'f', [{ op: 'delete', section: 'y' }])).toThrow("f: cannot apply delete y: line 2 mixes it with another section's commands");
		// Commands sharing a line within one section go together.
		expect(applyUciEdits("config a 'x'\nconfig a 'y'; option c 'z'\n", 'f', [{ op: 'delete', section: 'y' }])).toBe("config a 'x'\n");
	});
	it('passes a syntax error in the input on', () => {
		expect(() => applyUciEdits("config a 'x\n", 'f', [{ op: 'delete', section: 'x' }])).toThrow("f:1:10: parse error: EOF with unterminated '");
	});
});
