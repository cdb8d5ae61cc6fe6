// An uplink's health, judged round by round (issue 14). Pure: the monitor (src/exec/uplink-monitor.ts)
// feeds it each probe round's outcome and the time. Hysteresis: an alive uplink dies after `down`
// failed rounds in a row, a dead one lives again after `up` good rounds in a row; loss and RTT are
// kept over the last LOSS_WINDOW rounds for status.

export type UplinkState = 'alive' | 'dead';

/** LOSS_WINDOW rounds of loss history (at the default 250 ms: the last 5 s). */
export const LOSS_WINDOW = 20;

export interface LinkHealth {
	readonly state: UplinkState;
	/** Wall clock (ms) of the last state change, or of the monitor's start. */
	readonly since: number;
	/** Consecutive good / failed rounds. */
	readonly good: number;
	readonly bad: number;
	/** The last rounds, newest last: true = answered. */
	readonly window: readonly boolean[];
	/** Round-trip time of the last answered round (the fastest target), ms. */
	readonly rttMs: number | null;
	/** Why the last round was not probed (no address on the device), or null. */
	readonly unprobed: string | null;
}

/** One probe round: answered (by at least one target) with its fastest RTT, or lost; or not probed at all. */
export type Round = { readonly kind: 'answered'; readonly rttMs: number | null } | { readonly kind: 'lost' } | { readonly kind: 'unprobed'; readonly why: string };

export function initialHealth(now: number): LinkHealth {
	// Alive until proven dead, as mwan3's initial_state 'online': a booting node balances at once.
	return { state: 'alive', since: now, good: 0, bad: 0, window: [], rttMs: null, unprobed: null };
}

export function lossPercent(h: LinkHealth): number | null {
	if (h.window.length === 0) return null;
	return Math.round((100 * h.window.filter((x) => !x).length) / h.window.length);
}

/** The next health after one round; `changed` when the state flipped. */
export function stepHealth(h: LinkHealth, round: Round, limits: { readonly down: number; readonly up: number }, now: number): { next: LinkHealth; changed: boolean } {
	if (round.kind === 'unprobed') return { next: { ...h, unprobed: round.why }, changed: false };
	const ok = round.kind === 'answered';
	const window = [...h.window, ok].slice(-LOSS_WINDOW);
	const good = ok ? h.good + 1 : 0;
	const bad = ok ? 0 : h.bad + 1;
	let state = h.state;
	if (state === 'alive' && bad >= limits.down) state = 'dead';
	else if (state === 'dead' && good >= limits.up) state = 'alive';
	const changed = state !== h.state;
	return { next: { state, since: changed ? now : h.since, good, bad, window, rttMs: ok ? round.rttMs : h.rttMs, unprobed: null }, changed };
}
