// A valid pair configuration and a typical 23.05-style network file, with known line numbers:
// the invalid-config tests change one thing at a time and expect exactly one error.

export const HA = '/etc/config/ha-router';
export const NET = '/etc/config/network';

export const BASE = `config node 'node'
	option name 'ha1'
	option priority '100'

config vrrp 'lan'
	option interface 'lan'
	option vrid '51'
	list vip '192.168.1.1/24'
	list unicast_peer '192.168.1.3'

config wan 'wan'
	option parent 'eth1'
	option macaddr '02:68:61:00:00:01'

config sync 'sync'
	option interface 'lan'
	option peer '192.168.1.3'
`;

export const NETWORK = `
config interface 'loopback'
	option device 'lo'
	option proto 'static'
	option ipaddr '127.0.0.1'
	option netmask '255.0.0.0'

config globals 'globals'
	option ula_prefix 'fd12:3456:789a::/48'

config device
	option name 'br-lan'
	option type 'bridge'
	list ports 'lan1'
	list ports 'lan2'

config interface 'lan'
	option device 'br-lan'
	option proto 'static'
	option ipaddr '192.168.1.2'
	option netmask '255.255.255.0'
	option ip6addr 'fd00:1::2/64'
	option ip6assign '60'

config interface 'wan'
	option device 'eth1'
	option proto 'dhcp'

config interface 'wan6'
	option device '@wan'
	option proto 'dhcpv6'

config interface 'sync'
	option device 'eth2'
	option proto 'static'
	list ipaddr '10.99.0.1/30'
`;

/** The same LAN in the pre-21.02 syntax: ifname + type bridge gives br-lan. */
export const LEGACY_NETWORK = `config interface 'lan'
	option type 'bridge'
	option ifname 'eth0.1 eth0.3'
	option proto 'static'
	option ipaddr '192.168.1.2/24'

config interface 'wan'
	option ifname 'eth0.2'
	option proto 'dhcp'
`;
