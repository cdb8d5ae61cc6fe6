// A keepalived state change, parsed from the notify arguments. Parsing is separate from running.
import type { VrrpState } from '../model/types.ts';
import { keepalivedCarries } from '../model/value-rules.ts';
import { shown } from '../util/shown.ts';

export interface StateEvent {
	/** INSTANCE or GROUP from keepalived's generic notify; SEED for the short seed-style forms. */
	readonly type: 'INSTANCE' | 'GROUP' | 'SEED';
	readonly name: string;
	readonly state: VrrpState;
	readonly priority: number;
}

const STATES: readonly VrrpState[] = ['MASTER', 'BACKUP', 'FAULT', 'STOP'];

/** One of keepalived's states, exactly (files and datagrams of ours carry them as words). */
export function isVrrpState(v: unknown): v is VrrpState {
	return STATES.includes(v as VrrpState);
}
/** The seed scripts' words (conntrack-tools primary-backup.sh and its copies). */
const SEED: Readonly<Record<string, VrrpState>> = { primary: 'MASTER', master: 'MASTER', backup: 'BACKUP', fault: 'FAULT', stop: 'STOP' };

/** keepalived generic notify: TYPE NAME STATE PRIORITY; or one seed word. Returns an error text on bad input. */
export function parseEvent(args: readonly string[]): StateEvent | string {
	if (args.length === 1) {
		const state = SEED[args[0]!.toLowerCase()];
		if (!state) return `unknown state '${shown(args[0]!)}'; expected primary, backup, fault or stop`;
		return { type: 'SEED', name: '', state, priority: 0 };
	}
	if (args.length !== 4 && args.length !== 3) {
		return `expected keepalived's notify arguments TYPE NAME STATE PRIORITY, got ${args.length} argument(s)`;
	}
	const [type, name, stateWord, prio = '0'] = args as [string, string, string, string?];
	if (type !== 'INSTANCE' && type !== 'GROUP') return `unknown notify type '${shown(type)}'; expected INSTANCE or GROUP`;
	// A keepalived.conf word: no blanks, quotes or control characters.
	if (!/^\S{1,128}$/.test(name) || !keepalivedCarries(name)) return `name '${shown(name)}' is not a keepalived instance or group name; valid: 1..128 characters without blanks, quotes or control characters`;
	// keepalived 2.3 also reports DELETED for a removed instance; we treat it as STOP.
	const state = stateWord === 'DELETED' ? 'STOP' : (stateWord as VrrpState);
	if (!isVrrpState(state)) return `unknown state '${shown(stateWord)}'; expected MASTER, BACKUP, FAULT or STOP`;
	if (!/^\d{1,3}$/.test(prio)) return `priority '${shown(prio)}' is not a number; valid: 0..255`;
	// VRRP carries the priority in one byte.
	if (Number(prio) > 255) return `priority '${prio}' is out of range; valid: 0..255`;
	return { type, name, state, priority: Number(prio) };
}
