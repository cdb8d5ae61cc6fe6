// The balancer's map: weights become slots, a backend that is down gives its slots to the others
// (in proportion), all down keeps them all, and the health check's write is one map transaction.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { probeService } from '../../../src/exec/service-health.ts';
import { serviceElements, serviceMapUpdate } from '../../../src/render/services.ts';
import { nodeRuntime } from '../../support/node-runtime.ts';
import { service } from './models.ts';

const web = service('web', 'tcp', [80], [['192.168.1.21', 1], ['192.168.1.22', 3], ['192.168.1.23', 2]]);

describe('service map', () => {
	it('gives each backend as many slots as its weight', () => {
		expect(serviceElements(web)).toBe('0 : 192.168.1.21, 1-3 : 192.168.1.22, 4-5 : 192.168.1.23');
	});

	it('spreads a down backend’s slots over the others by weight, keeping the slot count', () => {
		// 6 slots over weights 1 and 2: 2 and 4.
		expect(serviceElements(web, ['192.168.1.22'])).toBe('0-1 : 192.168.1.21, 2-5 : 192.168.1.23');
		expect(serviceElements(web, ['192.168.1.21', '192.168.1.23'])).toBe('0-5 : 192.168.1.22');
	});

	it('keeps every backend when all are down', () => {
		expect(serviceElements(web, ['192.168.1.21', '192.168.1.22', '192.168.1.23'])).toBe(serviceElements(web));
	});

	it('updates only the map, flushed and refilled in one nft document', () => {
		expect(serviceMapUpdate(web, ['192.168.1.22'])).toBe('flush map inet ha_router svc_web\nadd element inet ha_router svc_web { 0-1 : 192.168.1.21, 2-5 : 192.168.1.23 }\n');
	});
});

describe('probeService (real sockets on the loopback)', () => {
	it('reports the backend whose port refuses, not the one that answers', async () => {
		const server = net.createServer((s) => s.end());
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
		const port = (server.address() as net.AddressInfo).port;
		try {
			const s = service('loop', 'tcp', [port], [['127.0.0.1', 1], ['127.0.0.2', 1]]);
			expect(await probeService(nodeRuntime(), s)).toEqual(['127.0.0.2']);
		} finally {
			server.close();
		}
	});
});
