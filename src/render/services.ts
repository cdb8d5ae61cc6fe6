// Services balanced by our nftables table (no IPVS on most routers): per service, a map from slot
// to backend and one DNAT rule that picks a slot with `numgen random` (or a `jhash` of the client's
// address and port). A backend's weight is its number of slots. The slots are fixed by the Model
// (the sum of the weights), so a health change rewrites only the map's elements, in one nft
// transaction, and never the rule (serviceMapUpdate).
import type { Model, Service } from '../model/types.ts';
import { NFT_TABLE } from './nft.ts';

/** Backend addresses the health check found down, per service name (facts, not config). */
export type DownBackends = Readonly<Record<string, readonly string[]>>;

const slotsOf = (s: Service) => s.backends.reduce((n, b) => n + b.weight, 0);

/**
 * The map's elements: every slot to a backend that is up, in proportion to the weights (largest
 * remainder, ties to the earlier backend). With every backend down they all stay: a guess beats a
 * black hole, and a backend that comes back is used at once.
 */
export function serviceElements(s: Service, down: readonly string[] = []): string {
	const total = slotsOf(s);
	const up = s.backends.filter((b) => !down.includes(b.address));
	const use = up.length > 0 ? up : s.backends;
	const upWeight = use.reduce((n, b) => n + b.weight, 0);
	const exact = use.map((b) => (b.weight * total) / upWeight);
	const counts = exact.map(Math.floor);
	let left = total - counts.reduce((a, b) => a + b, 0);
	const order = exact.map((x, i) => ({ i, rest: x - Math.floor(x) })).sort((a, b) => b.rest - a.rest || a.i - b.i);
	for (const o of order) if (left-- > 0) counts[o.i]! += 1;
	const parts: string[] = [];
	let at = 0;
	use.forEach((b, i) => {
		const n = counts[i]!;
		if (n === 0) return;
		parts.push(`${n === 1 ? at : `${at}-${at + n - 1}`} : ${b.address}`);
		at += n;
	});
	return parts.join(', ');
}

function pick(s: Service): string {
	const mod = `mod ${slotsOf(s)}`;
	return s.scheduler === 'hash' ? `jhash ip saddr . ${s.protocol} sport ${mod} seed 0x0` : `numgen random ${mod}`;
}

const mapHead = (s: Service) => [`map ${s.map} {`, `\ttypeof numgen random mod ${slotsOf(s)} : ip daddr`, '\tflags interval'];

/** The maps (inside our table) and the DNAT chain; none without services. */
export function serviceParts(model: Model, down: DownBackends = {}): { maps: string[][]; chain: string[] } {
	if (model.services.length === 0) return { maps: [], chain: [] };
	// numgen and jhash both give an integer: one key type for either scheduler.
	const maps = model.services.map((s) => [...mapHead(s), `\telements = { ${serviceElements(s, down[s.name])} }`, '}']);
	const chain = [
		'chain service_dnat {',
		// Just before fw4's dstnat (-100), after the sites' zone and mark (raw, mangle).
		'\ttype nat hook prerouting priority dstnat - 1; policy accept;',
		...model.services.map((s) => {
			const ports = s.ports.length === 1 ? String(s.ports[0]) : `{ ${s.ports.join(', ')} }`;
			return `\tip daddr ${s.vip} ${s.protocol} dport ${ports} dnat ip to ${pick(s)} map @${s.map} comment "!ha-router: service ${s.name}"`;
		}),
		'}',
	];
	return { maps, chain };
}

/** One nft transaction that replaces a service map's elements (the health check's only write). */
export function serviceMapUpdate(s: Service, down: readonly string[]): string {
	const [family, table] = NFT_TABLE.split(' ');
	return `flush map ${family} ${table} ${s.map}\nadd element ${family} ${table} ${s.map} { ${serviceElements(s, down)} }\n`;
}
