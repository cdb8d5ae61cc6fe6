// Effects that record every call in order; a step fails when its name is in `failing`.
import type { ConntrackdOp, Effects } from '../../../src/exec/effects.ts';
import type { Platform } from '../../../src/system/platform.ts';

export function fakeEffects(failing: string[] = [], delayMs = 0) {
	const calls: string[] = [];
	const act = async (name: string) => {
		calls.push(name);
		if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
		if (failing.includes(name)) throw new Error(`${name} broke`);
	};
	const platform: Platform = {
		name: 'linux',
		transport: 'fake',
		wanUp: () => act('platform.wanUp'),
		wanDown: () => act('platform.wanDown'),
		wanPrepare: () => act('platform.wanPrepare'),
		wanStatus: async () => ({ up: false, device: null, address: null, gateway: null, uptime: null }),
		networkReload: () => act('networkReload'),
		service: (name, action) => act(`service ${name} ${action}`),
		serviceInstalled: async () => true,
		serviceRunning: async () => false,
		serviceInstances: async () => [],
		serviceEnabled: async () => true,
		setServiceEnabled: (name, on) => act(`setServiceEnabled ${name} ${on}`),
		hotplugCall: (sub, env) => act(`hotplug ${sub} ${env.ACTION}`),
		close: () => {},
	};
	const fx: Effects = {
		platform,
		conntrackd: (op: ConntrackdOp) => act(`conntrackd ${op}`),
		wanUp: () => act('wanUp'),
		snatUpdate: () => act('snatUpdate'),
		wanDown: () => act('wanDown'),
		vipRouteSource: (a, d, s) => act(`route ${a} ${d} src ${s}`),
		vipRouteRestore: (a, d) => act(`route-restore ${a} ${d}`),
		peerLeftMaster: () => act('peerLeftMaster'),
	};
	return { fx, calls };
}
