// One router's staging root for the LuCI tests: its UCI files (with a VRRP password) and the CLI
// wrapper the rpcd plugin runs as HA_ROUTER (the bundle on tjs, under that root).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../package/support.ts';
import { BUNDLE, TJS } from '../support/tjs.ts';

export const SECRET = 'Zq7k3Wx9';

const HA_ROUTER = `config node 'node'
	option name 'r0'
	option priority '200'
	option state 'master'
	list service 'dnsmasq'

config vrrp 'lan'
	option interface 'lan'
	option vrid '51'
	option version '2'
	option advert_int '1'
	option auth_type 'pass'
	option auth_pass '${SECRET}'
	list unicast_peer '192.168.1.3'
	list vip '192.168.1.1/24'

config wan 'wan'
	option parent 'wan0'
	option macaddr '02:00:5e:00:01:01'

config sync 'sync'
	option interface 'sync'
	option peer '10.255.0.2'
`;
const NETWORK = `config interface 'lan'
	option device 'lan0'
	option proto 'static'
	option ipaddr '192.168.1.2/24'

config interface 'sync'
	option device 'sync0'
	option proto 'static'
	option ipaddr '10.255.0.1/30'
`;

/** A router's staging root and the CLI wrapper the plugin runs (HA_ROUTER). */
export function stagingNode(): { root: string; cli: string; config: string } {
	const root = tempDir('luci');
	mkdirSync(path.join(root, 'etc/config'), { recursive: true });
	writeFileSync(path.join(root, 'etc/config/ha-router'), HA_ROUTER);
	writeFileSync(path.join(root, 'etc/config/network'), NETWORK);
	const cli = path.join(root, 'ha-router');
	writeFileSync(cli, `#!/bin/sh\nexec '${TJS}' run '${BUNDLE}' "$@" --root '${root}' --config '${root}/etc/config'\n`);
	chmodSync(cli, 0o755);
	return { root, cli, config: path.join(root, 'etc/config/ha-router') };
}

