// Pending changes in /tmp/.uci/<pkg>: the example session of reference/runtime-protocols.md 3.7.
import { describe, expect, it } from 'vitest';
import { hasPendingUciChanges, parseUciDelta } from '../../../src/config/uci-delta.ts';

const SESSION = `t2.main.b='it'\\''s'
t2.main.c='two
lines'
|t2.main.l='z'
~t2.main.l='x'
t2.new='sect'
t2.new.opt='v'
+t2.cfg049e34='item'
t2.cfg049e34.v='two'
@t2.main.a='aa'
^t2.new='0'
-t2.cfg029e34
`;

describe('parseUciDelta', () => {
	it('reads every kind of delta line', () => {
		expect(parseUciDelta(SESSION).map((e) => [e.op, e.section, e.option ?? null, e.value ?? null, e.line])).toEqual([
			['set', 'main', 'b', "it's", 1],
			['set', 'main', 'c', 'two\nlines', 2],
			['list-add', 'main', 'l', 'z', 4],
			['list-delete', 'main', 'l', 'x', 5],
			['set', 'new', null, 'sect', 6],
			['set', 'new', 'opt', 'v', 7],
			['add', 'cfg049e34', null, 'item', 8],
			['set', 'cfg049e34', 'v', 'two', 9],
			['rename', 'main', 'a', 'aa', 10],
			['reorder', 'new', null, '0', 11],
			['delete', 'cfg029e34', null, null, 12],
		]);
		expect(parseUciDelta(SESSION).every((e) => e.package === 't2')).toBe(true);
	});
	it('skips lines libuci would skip', () => {
		expect(parseUciDelta("nodots\nt2.main.x\n'unterminated\n\n")).toEqual([]);
	});
});

describe('hasPendingUciChanges', () => {
	it('is false only for a missing, empty or blank file', () => {
		expect(hasPendingUciChanges(null)).toBe(false);
		expect(hasPendingUciChanges('')).toBe(false);
		expect(hasPendingUciChanges('\n \n')).toBe(false);
		expect(hasPendingUciChanges(SESSION)).toBe(true);
		// Unparseable content still counts: before overwriting a config, ask rather than guess.
		expect(hasPendingUciChanges('garbage\n')).toBe(true);
	});
});
