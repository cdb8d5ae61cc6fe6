// The sites' policy rules and routes in the kernel. They are ours by number (src/model/site-numbers.ts
// SITE_RANGE): rule preferences and table numbers in that range. Replacing them removes every one
// of ours, then adds the rendered batch in one `ip -batch` run; a failure leaves a sentence, and
// apply's rollback runs the previous batch the same way.
import { SITE_RANGE } from '../model/site-numbers.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { ip, ipJson } from './iproute.ts';
import { run } from './run.ts';

const ours = (n: number) => n >= SITE_RANGE.first && n <= SITE_RANGE.last;

/** Deletes every rule and route ha-router owns for sites; none there is fine. */
export async function removeSiteRoutes(rt: Runtime): Promise<void> {
	const rules = await ipJson<{ priority?: number }>(rt, ['-4', 'rule', 'show']);
	for (const r of rules) if (r.priority !== undefined && ours(r.priority)) await ip(rt, ['-4', 'rule', 'del', 'pref', String(r.priority)]);
	// -N: table numbers even where rt_tables names them.
	const routes = await ipJson<{ dst: string; table?: string }>(rt, ['-N', '-4', 'route', 'show', 'table', 'all']);
	for (const r of routes) if (r.table !== undefined && ours(Number(r.table))) await ip(rt, ['-4', 'route', 'del', r.dst, 'table', r.table]);
}

/** Ours removed, then `batch` (render/sites.ts renderSiteRoutes; null: none) added. */
export async function replaceSiteRoutes(rt: Runtime, batch: string | null): Promise<void> {
	await removeSiteRoutes(rt);
	if (batch !== null) await run(rt, ['ip', '-4', '-batch', '-'], { input: batch, timeoutMs: 10_000 });
}
