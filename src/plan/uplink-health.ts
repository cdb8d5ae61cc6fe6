// An uplink's health, judged round by round (issue 14). Pure: the monitor (src/exec/uplink-monitor.ts)
// feeds it each probe round's outcome and the time. Hysteresis: an uplink dies after `down` failed
// rounds in a row, a dead one lives again after `up` good rounds in a row. With quality limits
// (max_loss, max_rtt) a live uplink is degraded after `down` rounds in a row over a limit and alive
// again after `up` rounds in a row within them, both judged over the last LOSS_WINDOW rounds.

export type UplinkState = 'alive' | 'degraded' | 'dead';

export function isUplinkState(v: unknown): v is UplinkState {
	return v === 'alive' || v === 'degraded' || v === 'dead';
}

/** LOSS_WINDOW rounds of loss and RTT history (at the default 200 ms: the last 4 s). */
export const LOSS_WINDOW = 20;
/** Quality is judged only over this many rounds at least: 1 lost of 2 is no 50 % loss. */
export const QUALITY_MIN_ROUNDS = 10;

export interface LinkHealth {
	readonly state: UplinkState;
	/** Wall clock (ms) of the last state change, or of the monitor's start. */
	readonly since: number;
	/** Consecutive good / failed rounds. */
	readonly good: number;
	readonly bad: number;
	/** Consecutive rounds within / over the quality limits. */
	readonly fine: number;
	readonly poor: number;
	/** The last rounds, newest last: the RTT in ms of an answered round, null for a lost one. */
	readonly window: readonly (number | null)[];
	/** Round-trip time of the last answered round (the fastest target), ms. */
	readonly rttMs: number | null;
	/** Why the last round was not probed (no address on the device), or null. */
	readonly unprobed: string | null;
}

/** One probe round: answered (by at least one target) with its fastest RTT, or lost; or not probed at all. */
export type Round = { readonly kind: 'answered'; readonly rttMs: number } | { readonly kind: 'lost' } | { readonly kind: 'unprobed'; readonly why: string };

export interface HealthLimits {
	readonly down: number;
	readonly up: number;
	readonly maxLoss?: number | null;
	readonly maxRttMs?: number | null;
}

export function initialHealth(now: number, state: UplinkState = 'alive'): LinkHealth {
	// Alive until proven dead, as mwan3's initial_state 'online': a booting node balances at once.
	return { state, since: now, good: 0, bad: 0, fine: 0, poor: 0, window: [], rttMs: null, unprobed: null };
}

export function lossPercent(h: LinkHealth): number | null {
	if (h.window.length === 0) return null;
	return Math.round((100 * h.window.filter((x) => x === null).length) / h.window.length);
}

/** Mean RTT of the answered rounds in the window, or null when none answered. */
export function meanRtt(h: LinkHealth): number | null {
	const rtts = h.window.filter((x): x is number => x !== null);
	return rtts.length === 0 ? null : Math.round((10 * rtts.reduce((a, b) => a + b, 0)) / rtts.length) / 10;
}

/** Over a quality limit (false while the window is too short to say, or without limits). */
function poorQuality(h: LinkHealth, limits: HealthLimits): boolean {
	if (h.window.length < QUALITY_MIN_ROUNDS) return false;
	const loss = lossPercent(h);
	const rtt = meanRtt(h);
	return (limits.maxLoss != null && loss !== null && loss > limits.maxLoss) || (limits.maxRttMs != null && rtt !== null && rtt > limits.maxRttMs);
}

/** The next health after one round; `changed` when the state flipped. */
export function stepHealth(h: LinkHealth, round: Round, limits: HealthLimits, now: number): { next: LinkHealth; changed: boolean } {
	if (round.kind === 'unprobed') return { next: { ...h, unprobed: round.why }, changed: false };
	const ok = round.kind === 'answered';
	const window = [...h.window, ok ? round.rttMs : null].slice(-LOSS_WINDOW);
	const good = ok ? h.good + 1 : 0;
	const bad = ok ? 0 : h.bad + 1;
	const measured = { ...h, window };
	const poor = poorQuality(measured, limits);
	const fine = poor ? 0 : h.fine + 1;
	const poorRun = poor ? h.poor + 1 : 0;
	let state = h.state;
	if (state !== 'dead' && bad >= limits.down) state = 'dead';
	// Back from dead over a limit (the dead spell's losses count): degraded, so a flapping link stays avoided.
	else if (state === 'dead' && good >= limits.up) state = poor ? 'degraded' : 'alive';
	else if (state === 'alive' && poorRun >= limits.down) state = 'degraded';
	else if (state === 'degraded' && fine >= limits.up) state = 'alive';
	const changed = state !== h.state;
	return { next: { state, since: changed ? now : h.since, good, bad, fine, poor: poorRun, window, rttMs: ok ? round.rttMs : h.rttMs, unprobed: null }, changed };
}

/** Takes the state the peer last saw for a link this node cannot probe (`why`: the shared WAN on a standby has no address). */
export function adoptPeerState(h: LinkHealth, peer: UplinkState, why: string, now: number): { next: LinkHealth; changed: boolean } {
	if (h.state === peer) return { next: { ...h, unprobed: why }, changed: false };
	return { next: { ...initialHealth(now, peer), unprobed: why }, changed: true };
}

/**
 * The links new connections avoid: the dead ones, and the degraded ones while some link is fully
 * alive (a degraded link is better than none). Every link dead: all of them, which the renderer
 * turns into the last resort (src/render/uplinks.ts aliveLinks).
 */
export function avoidedLinks(states: Readonly<Record<string, UplinkState>>): string[] {
	const names = Object.keys(states);
	const anyAlive = names.some((n) => states[n] === 'alive');
	return names.filter((n) => states[n] === 'dead' || (anyAlive && states[n] === 'degraded'));
}
