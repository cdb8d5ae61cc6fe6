// The shipped /etc/config/ha-router: invalid until the peer and the WAN port are filled in, then a
// working pair with a typical network file (this node's LAN moved off the shared .1).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyUciEdits } from '../../../src/config/apply-uci-edits.ts';
import { buildModel } from '../../../src/config/build-model.ts';
import { formatIssue } from '../../../src/config/issues.ts';
import { HA, NET, NETWORK } from './fixtures.ts';

const SHIPPED = readFileSync(new URL('../../../files/etc/config/ha-router', import.meta.url), 'utf8');
const build = (ha: string) => buildModel({ haRouter: { path: HA, text: ha }, network: { path: NET, text: NETWORK } });

describe('files/etc/config/ha-router', () => {
	it('asks for exactly the values marked FILL IN', () => {
		const r = build(SHIPPED);
		expect(r.issues.filter((i) => i.severity === 'error').map((i) => `${i.at.section}.${i.at.option} ${i.code}`)).toEqual(['wan.parent OPTION_REQUIRED', 'sync.peer SYNC_PEER_MISSING']);
		expect(SHIPPED.match(/# FILL IN:/g)).toHaveLength(3);
	});

	it('validates once the peer and interfaces are filled in, keeping every comment', () => {
		const filled = applyUciEdits(SHIPPED, HA, [
			{ op: 'list', section: 'lan', option: 'unicast_peer', values: ['192.168.1.3'] },
			{ op: 'set', section: 'wan', option: 'parent', value: 'eth1' },
			{ op: 'set', section: 'sync', option: 'peer', value: '192.168.1.3' },
		]);
		const r = build(filled);
		expect(r.issues.map(formatIssue)).toEqual([]);
		expect(r.model).toMatchObject({
			node: { enabled: true, name: 'ha1', services: ['dnsmasq', 'odhcpd', 'miniupnpd'] },
			groups: [{ name: 'lan', device: 'br-lan', vrid: 51, version: 3, advertIntMs: 30, unicastPeers: ['192.168.1.3'], vips: [{ address: '192.168.1.1', prefix: 24, device: 'br-lan' }] }],
			wan: { parent: 'eth1', device: 'hawan', macaddr: '02:68:61:00:00:01', snatSources: [{ address: '192.168.1.0', prefix: 24 }] },
			sync: { peerAddress: '192.168.1.3', localAddress: '192.168.1.2', transport: 'udp' },
		});
		const comments = (t: string) => t.split('\n').filter((l) => /^\s*#/.test(l));
		expect(comments(filled)).toEqual(comments(SHIPPED));
	});
});
