import { describe, expect, it } from 'vitest';
import { NO_ORIGINALS, parseOriginals, recordOriginals, undoEdits, type Originals } from '../../../src/apply/originals.ts';
import { uciChanges } from '../../../src/apply/targets.ts';
import { applyUciEdits } from '../../../src/config/apply-uci-edits.ts';
import { pathsFor } from '../../../src/model/paths.ts';
import { pairModel } from '../plan/fixture.ts';

// OpenWrt's defaults, as a router has them before ha-router's first apply.
const NETWORK = `config interface 'loopback'
	option device 'lo'
	option proto 'static'

config interface 'wan'
	option device 'wan0'
	option proto 'dhcp'
	option peerdns '0'
`;
const KEEPALIVED = `config globals 'globals'
	option enabled '0'
`;
const FIREWALL = `config defaults
	option input 'REJECT'
`;
// The LAN's DHCP section is anonymous on some images: addressed as @dhcp[0].
const DHCP = `config dnsmasq
	option domain 'lan'

config dhcp
	option interface 'lan'
	option start '100'

config dhcp 'wan'
	option interface 'wan'
	option ignore '1'
`;
const TEXTS = { network: NETWORK, keepalived: KEEPALIVED, firewall: FIREWALL, dhcp: DHCP } as Record<string, string> & { network: string; keepalived: string; firewall: string; dhcp: string };

describe('originals: what apply changed, put back by teardown', () => {
	const paths = pathsFor('');
	const model = pairModel();
	const changes = uciChanges(model, paths, 'openwrt', TEXTS);

	it('records each option as it was before, and which sections apply created', () => {
		const rec = changes.reduce((o, ch) => recordOriginals(o, ch, TEXTS[ch.package]!, `/etc/config/${ch.package}`), NO_ORIGINALS);
		expect(rec.uci.keepalived).toEqual({ globals: { existed: true, options: { enabled: '0', alt_config_file: null } } });
		expect(rec.uci.network!.wan).toEqual({ existed: true, options: { device: 'wan0', ifname: null, proto: 'dhcp', auto: null, norelease: null } });
		expect(Object.values(rec.uci.firewall!).every((s) => !s.existed)).toBe(true);
		// dnsmasq must serve DHCP on the LAN even while the old master's still answers (force).
		expect(rec.uci.dhcp).toEqual({ '@dhcp[0]': { existed: true, options: { force: null } } });
	});

	it('apply then teardown gives back every file byte for byte (but a blank line left where a section went)', () => {
		const tidy = (t: string) => t.replace(/\n+$/, '\n');
		const rec = changes.reduce((o, ch) => recordOriginals(o, ch, TEXTS[ch.package]!, `/etc/config/${ch.package}`), NO_ORIGINALS);
		for (const ch of changes) {
			const applied = applyUciEdits(TEXTS[ch.package]!, ch.package, ch.edits);
			expect(applied).not.toBe(TEXTS[ch.package]);
			expect(tidy(applyUciEdits(applied, ch.package, undoEdits(rec.uci[ch.package]!)))).toBe(TEXTS[ch.package]);
		}
	});

	it('keeps the first value seen: a second apply does not record its own edits as the original', () => {
		const once = changes.reduce((o, ch) => recordOriginals(o, ch, TEXTS[ch.package]!, ch.package), NO_ORIGINALS);
		const applied = Object.fromEntries(changes.map((ch) => [ch.package, applyUciEdits(TEXTS[ch.package]!, ch.package, ch.edits)]));
		const twice = changes.reduce((o, ch) => recordOriginals(o, ch, applied[ch.package]!, ch.package), once);
		expect(twice).toEqual(once);
	});

	it('reads its own file back, and treats anything else as no record', () => {
		const rec = changes.reduce<Originals>((o, ch) => recordOriginals(o, ch, TEXTS[ch.package]!, ch.package), { ...NO_ORIGINALS, bootEnabled: { keepalived: false } });
		expect(parseOriginals(JSON.stringify(rec))).toEqual(rec);
		expect(parseOriginals(null)).toBeNull();
		expect(parseOriginals('{"uci":')).toBeNull();
		expect(parseOriginals('[]')).toBeNull();
	});
});
