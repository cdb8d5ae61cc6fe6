// keepalived's notify arguments are input like any other: each one checked, every refusal one line.
import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../../src/plan/event.ts';

describe('parseEvent refuses bad notify arguments', () => {
	it.each([
		[['INSTANCE', 'lan', 'MASTER', '999'], "priority '999' is out of range; valid: 0..255"],
		[['INSTANCE', 'lan', 'MASTER', '256'], "priority '256' is out of range; valid: 0..255"],
		[['INSTANCE', 'lan', 'MASTER', '-1'], "priority '-1' is not a number; valid: 0..255"],
		[['INSTANCE', 'lan', 'MASTER', ''], "priority '' is not a number; valid: 0..255"],
		[['INSTANCE', 'lan', 'MASTER', '1e2'], "priority '1e2' is not a number; valid: 0..255"],
		[['instance', 'lan', 'MASTER', '100'], "unknown notify type 'instance'; expected INSTANCE or GROUP"],
		[['INSTANCE', 'lan', 'master', '100'], "unknown state 'master'; expected MASTER, BACKUP, FAULT or STOP"],
		[['INSTANCE', '', 'MASTER', '100'], "name '' is not a keepalived instance or group name; valid: 1..128 characters without blanks, quotes or control characters"],
		[['INSTANCE', 'a b', 'MASTER', '100'], "name 'a b' is not a keepalived instance or group name; valid: 1..128 characters without blanks, quotes or control characters"],
		[['INSTANCE', 'lan\n', 'MASTER', '100'], "name 'lan\\n' is not a keepalived instance or group name; valid: 1..128 characters without blanks, quotes or control characters"],
		[['INSTANCE', 'lan', 'MASTER\nBACKUP', '100'], "unknown state 'MASTER\\nBACKUP'; expected MASTER, BACKUP, FAULT or STOP"],
		[['INSTANCE', 'x'.repeat(129), 'MASTER', '100'], `name '${'x'.repeat(60)}…(129 bytes)' is not a keepalived instance or group name; valid: 1..128 characters without blanks, quotes or control characters`],
		[['prim\x1bary'], "unknown state 'prim\\x1bary'; expected primary, backup, fault or stop"],
	])('%j', (args, message) => {
		expect(parseEvent(args)).toBe(message);
	});

	it('still takes every valid form', () => {
		expect(parseEvent(['INSTANCE', 'lan', 'MASTER', '255'])).toEqual({ type: 'INSTANCE', name: 'lan', state: 'MASTER', priority: 255 });
		expect(parseEvent(['GROUP', 'ha_router', 'FAULT', '0'])).toMatchObject({ priority: 0 });
		expect(parseEvent(['INSTANCE', 'VI_1', 'BACKUP'])).toMatchObject({ name: 'VI_1', priority: 0 });
	});
});
