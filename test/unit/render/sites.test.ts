// The sites' pieces outside the golden files: rt_tables keeps the user's lines, our block comes
// and goes with the sites, and the targets carry the routes with their own reload.
import { describe, expect, it } from 'vitest';
import { renderTargets } from '../../../src/apply/targets.ts';
import { pathsFor } from '../../../src/model/paths.ts';
import { renderRtTables, renderSiteRoutes } from '../../../src/render/sites.ts';
import { renderNft } from '../../../src/render/nft.ts';
import { cases, model, site } from './models.ts';
import { STOCK_RT_TABLES } from './render-case.ts';

const withSites = cases.find((c) => c.name === '14_sites')!.model;
const USER = `${STOCK_RT_TABLES}100\tvpn\n`;

describe('rt_tables', () => {
	it('adds one block after the user lines and is stable when rendered again over its own output', () => {
		const once = renderRtTables(withSites, USER)!;
		expect(once.startsWith(USER)).toBe(true);
		expect(once.slice(USER.length).split('\n').filter((l) => /^\d/.test(l))).toEqual(['18433\tha_north', '18434\tha_south']);
		expect(renderRtTables(withSites, once)).toBe(once);
	});

	it('takes the block out again when the sites go, leaving the file as the user had it', () => {
		const once = renderRtTables(withSites, USER)!;
		expect(renderRtTables(model(), once)).toBe(USER);
	});

	it('renumbers with the sorted names: a site sorting first moves the others', () => {
		const three = model({ sites: [site('east', 0, 'site30', '10.0.30.0/24', '172.16.30.2'), ...withSites.sites.map((s, i) => site(s.name, i + 1, s.device, `${s.mapped.address}/24`, s.gateway))] });
		expect(renderRtTables(three, null)).toContain('18433\tha_east\n18434\tha_north\n18435\tha_south\n');
	});

	it('leaves a missing file missing without sites, creates it with them', () => {
		expect(renderRtTables(model(), null)).toBeNull();
		expect(renderRtTables(withSites, null)).toMatch(/^# ha-router sites/);
	});
});

describe('site targets', () => {
	const paths = pathsFor('/x');
	const facts = { platform: 'linux' as const, conntrackMax: 65536, uci: { network: null, keepalived: null, firewall: null, dhcp: null }, rtTables: USER };

	it('with sites: the routes batch reloads "routes", rt_tables reloads nothing, the table has the site chains', () => {
		const t = renderTargets(withSites, paths, facts);
		expect(t.find((x) => x.path === '/x/etc/ha-router/site-routes')).toMatchObject({ content: renderSiteRoutes(withSites), reload: 'routes' });
		expect(t.find((x) => x.path === '/x/etc/iproute2/rt_tables')).toMatchObject({ reload: null });
		expect(renderNft(withSites, { wanAddress: null })).toContain('chain site_zone {');
	});

	it('without sites: no routes file (a previous one is removed) and rt_tables as it was', () => {
		const t = renderTargets(model(), paths, facts);
		expect(t.find((x) => x.path === '/x/etc/ha-router/site-routes')!.content).toBeNull();
		expect(t.find((x) => x.path === '/x/etc/iproute2/rt_tables')!.content).toBe(USER);
		expect(renderNft(model(), { wanAddress: null })).not.toContain('chain site_zone {\n');
		// The table is made again: no site chain of an earlier load stays.
		expect(renderNft(model(), { wanAddress: null })).toContain('delete table inet ha_router\n');
		expect(renderNft(model(), { wanAddress: null })).not.toContain('site_');
	});
});
