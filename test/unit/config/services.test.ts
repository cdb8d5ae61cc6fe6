// `config service`: a balanced service becomes a Model entry with its map name; every mistake is
// reported at once with file:line, section, option and code.
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../../src/config/build-model.ts';
import { formatIssue } from '../../../src/config/issues.ts';
import { BASE, HA, NET, NETWORK } from './fixtures.ts';

const build = (extra: string) => buildModel({ haRouter: { path: HA, text: BASE + extra }, network: { path: NET, text: NETWORK } });

describe('config service', () => {
	it('builds a service with defaults, ports sorted and unique, weights from the backend list', () => {
		const r = build("\nconfig service 'web'\n\toption vip '192.168.100.10'\n\tlist port '443'\n\tlist port '80'\n\tlist backend '192.168.1.21'\n\tlist backend '192.168.1.22 weight 3'\n");
		expect(r.issues.filter((i) => i.severity === 'error')).toEqual([]);
		expect(r.model!.services).toEqual([
			{
				name: 'web',
				vip: '192.168.100.10',
				protocol: 'tcp',
				ports: [80, 443],
				backends: [
					{ address: '192.168.1.21', weight: 1 },
					{ address: '192.168.1.22', weight: 3 },
				],
				scheduler: 'random',
				check: 'tcp',
				checkIntervalS: 2,
				map: 'svc_web',
				origin: { file: HA, line: 19, section: 'web', type: 'service' },
			},
		]);
	});

	it('reports every mistake in one run', () => {
		const r = build(
			"\nconfig service 'a'\n\toption vip '192.168.100.10'\n\tlist port '80'\n\tlist backend '192.168.1.21'\n\tlist backend '192.168.1.21 weight 2'\n" +
				"\nconfig service 'b'\n\toption vip 'fd00::10'\n\tlist port '70000'\n\tlist backend '192.168.1.22 weight 0'\n\toption schedular 'hash'\n" +
				"\nconfig service 'c'\n\toption vip '192.168.100.10'\n\tlist port '80'\n\tlist backend '224.0.0.1'\n",
		);
		expect(r.model).toBeNull();
		expect(r.issues.filter((i) => i.severity === 'error').map(formatIssue)).toEqual([
			`${HA}:22: service 'a' option 'backend': '192.168.1.21' is listed twice; valid: each backend once (give it a weight instead) [BACKEND_DUPLICATE]`,
			`${HA}:26: service 'b' option 'vip': 'fd00::10' is IPv6; valid: an IPv4 address (services are balanced IPv4 to IPv4) [SERVICE_FAMILY]`,
			`${HA}:27: service 'b' option 'port': '70000' is out of range; valid: 1..65535 [PORT_RANGE]`,
			`${HA}:28: service 'b' option 'backend': '192.168.1.22 weight 0' has a weight out of range; valid: address[ weight 1..100], e.g. '192.168.1.21 weight 2' [BACKEND_INVALID]`,
			`${HA}:29: service 'b' option 'schedular': unknown option; did you mean 'scheduler'? [UNKNOWN_OPTION]`,
			`${HA}:33: service 'c' option 'port': '80' on 192.168.100.10 tcp is already service 'a' (line 21); valid: one service per address, protocol and port [SERVICE_CONFLICT]`,
			`${HA}:34: service 'c' option 'backend': '224.0.0.1' cannot be a backend; valid: a unicast IPv4 address [BACKEND_INVALID]`,
		]);
	});
});
