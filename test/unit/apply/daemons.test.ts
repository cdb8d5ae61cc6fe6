import { describe, expect, it } from 'vitest';
import { ensureDaemon } from '../../../src/apply/daemons.ts';
import type { ServiceAction } from '../../../src/system/platform.ts';
import { nodeRuntime } from '../../support/node-runtime.ts';
import { fakeEffects } from '../exec/fake-effects.ts';

/** A service manager whose init script may "succeed" and start nothing, as OpenWrt's keepalived does while disabled. */
function manager(opts: { running?: boolean; startsSomething: boolean }) {
	const { fx } = fakeEffects();
	const p = fx.platform;
	let running = opts.running ?? false;
	const actions: string[] = [];
	p.service = async (name: string, action: ServiceAction) => {
		actions.push(`${name} ${action}`);
		if (action !== 'stop' && opts.startsSomething) running = true;
	};
	p.serviceInstances = async () => (running ? [{ name: 'instance1', running: true, pid: 99 }] : []);
	return { p, actions };
}

describe('ensureDaemon: apply starts keepalived/conntrackd and checks the service manager', () => {
	const rt = nodeRuntime();
	it('starts a daemon that is not running and reports its pid', async () => {
		const { p, actions } = manager({ startsSomething: true });
		expect(await ensureDaemon(rt, p, 'keepalived', 'reload')).toEqual({ name: 'keepalived', pid: 99, action: 'start' });
		expect(actions).toEqual(['keepalived start']);
	});
	it('reloads one that runs, and leaves it alone with none', async () => {
		const { p, actions } = manager({ running: true, startsSomething: true });
		await ensureDaemon(rt, p, 'keepalived', 'reload');
		await ensureDaemon(rt, p, 'keepalived', 'none');
		expect(actions).toEqual(['keepalived reload']);
	});
	it('fails with a sentence when the init script started nothing', async () => {
		const { p } = manager({ startsSomething: false });
		await expect(ensureDaemon(rt, p, 'keepalived', 'none')).rejects.toThrow(
			"keepalived is not running after 'start': the service manager reports no running instance (is it enabled in /etc/config/keepalived, and does keepalived -t accept the configuration?); see logread -e keepalived",
		);
	});
});
