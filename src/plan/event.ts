// A keepalived state change, parsed from the notify arguments. Parsing is separate from running.
import type { VrrpState } from '../model/types.ts';

export interface StateEvent {
	/** INSTANCE or GROUP from keepalived's generic notify; SEED for the short seed-style forms. */
	readonly type: 'INSTANCE' | 'GROUP' | 'SEED';
	readonly name: string;
	readonly state: VrrpState;
	readonly priority: number;
}

const STATES: readonly VrrpState[] = ['MASTER', 'BACKUP', 'FAULT', 'STOP'];
/** The seed scripts' words (conntrack-tools primary-backup.sh and its copies). */
const SEED: Readonly<Record<string, VrrpState>> = { primary: 'MASTER', master: 'MASTER', backup: 'BACKUP', fault: 'FAULT', stop: 'STOP' };

/** keepalived generic notify: TYPE NAME STATE PRIORITY; or one seed word. Returns an error text on bad input. */
export function parseEvent(args: readonly string[]): StateEvent | string {
	if (args.length === 1) {
		const state = SEED[args[0]!.toLowerCase()];
		if (!state) return `unknown state '${args[0]}'; expected primary, backup, fault or stop`;
		return { type: 'SEED', name: '', state, priority: 0 };
	}
	if (args.length !== 4 && args.length !== 3) {
		return `expected keepalived's notify arguments TYPE NAME STATE PRIORITY, got ${args.length} argument(s)`;
	}
	const [type, name, stateWord, prio = '0'] = args as [string, string, string, string?];
	if (type !== 'INSTANCE' && type !== 'GROUP') return `unknown notify type '${type}'; expected INSTANCE or GROUP`;
	// keepalived 2.3 also reports DELETED for a removed instance; we treat it as STOP.
	const state = stateWord === 'DELETED' ? 'STOP' : (stateWord as VrrpState);
	if (!STATES.includes(state)) return `unknown state '${stateWord}'; expected MASTER, BACKUP, FAULT or STOP`;
	if (!/^\d{1,3}$/.test(prio)) return `priority '${prio}' is not a number 0..255`;
	return { type, name, state, priority: Number(prio) };
}
