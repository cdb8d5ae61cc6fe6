// The seed-style baseline: the pair configured the way the shell-script prototypes users copy do it.
// - keepalived VRRP (v2) with advert_int 1 on the LAN, notify_master/backup/fault calling a hook;
// - the hook is conntrack-tools' doc/sync/primary-backup.sh (primary: -c -f -R -B; backup: -s/start, -t, -n;
//   fault: -t), plus what the seeds add: the WAN (macvlan with the shared MAC, udhcpc, as `ifup wan` runs it on
//   OpenWrt: -f -t 0 -R) and the LAN DHCP server, both only on the master;
// - conntrackd FTFW over UDP on the dedicated sync link (doc/sync/ftfw/conntrackd.conf);
// - MASQUERADE out of the WAN in nftables.
// This is deliberately NOT ha-router: it is what ha-router is compared against.
import path from 'node:path';
import { nsRun } from '../lib/exec.ts';
import { initdOk, type Stack } from '../lib/stack.ts';
import { VIP_CIDR, WAN_DEV, WAN_MAC, writeFile, type RouterNode, type Testbed } from '../lib/testbed.ts';
import { writeUciFiles, type NodeRole } from '../lib/uci-files.ts';

export const SEED_ADVERT_INT = 1;

function keepalivedConf(node: RouterNode, role: NodeRole, priority: number): string {
	const hook = path.join(node.root, 'etc/keepalived/primary-backup.sh');
	return `! seed-style keepalived.conf for ${node.name} (baseline)
global_defs {
	router_id ${node.name}
	script_user root
}

vrrp_instance VI_LAN {
	state ${role.nopreempt ? 'BACKUP' : role.state}
	interface ${node.ports.lan}
	virtual_router_id ${role.vrid}
	priority ${priority}
	advert_int ${SEED_ADVERT_INT}
${role.nopreempt ? '\tnopreempt\n' : ''}	virtual_ipaddress {
		${VIP_CIDR} dev ${node.ports.lan}
	}
	notify_master "${hook} primary"
	notify_backup "${hook} backup"
	notify_fault "${hook} fault"
}
`;
}

function conntrackdConf(node: RouterNode, all: RouterNode[]): string {
	const ignore = ['127.0.0.1', VIP_CIDR.split('/')[0]!, ...all.map((n) => n.lanAddr), ...all.map((n) => n.syncAddr)];
	return `# seed-style conntrackd.conf for ${node.name} (conntrack-tools doc/sync/ftfw/conntrackd.conf)
Sync {
	Mode FTFW {
		DisableExternalCache Off
	}
	UDP {
		IPv4_address ${node.syncAddr}
		IPv4_Destination_Address ${node.syncPeer}
		Port 3780
		Interface ${node.ports.sync}
		SndSocketBuffer 1249280
		RcvSocketBuffer 1249280
		Checksum on
	}
}

General {
	HashSize 32768
	HashLimit 131072
	LogFile ${node.root}/var/log/conntrackd.log
	Syslog off
	LockFile ${node.root}/var/lock/conntrack.lock
	UNIX {
		Path ${node.root}/var/run/conntrackd.ctl
	}
	NetlinkBufferSize 2097152
	NetlinkBufferSizeMaxGrowth 8388608
	Filter From Userspace {
		Protocol Accept {
			TCP
			SCTP
			DCCP
		}
		Address Ignore {
${ignore.map((a) => `\t\t\tIPv4_address ${a}`).join('\n')}
		}
	}
}
`;
}

function hook(node: RouterNode): string {
	const r = node.root;
	return `#!/bin/sh
# seed-style keepalived hook for ${node.name}: conntrack-tools doc/sync/primary-backup.sh + WAN + LAN DHCP.
CONNTRACKD_BIN=/usr/sbin/conntrackd
CONNTRACKD_LOCK=${r}/var/lock/conntrack.lock
CONNTRACKD_CONFIG=${r}/etc/conntrackd/conntrackd.conf
ROOT=${r}
log() { echo "$(date +%s.%N) $*" >>"$ROOT/var/log/hook.log"; }
ct() { $CONNTRACKD_BIN -C $CONNTRACKD_CONFIG "$@" || log "ERROR: failed to invoke conntrackd $*"; }

wan_up() {
	ip link show ${WAN_DEV} >/dev/null 2>&1 || ip link add link ${node.ports.wan} name ${WAN_DEV} address ${WAN_MAC} type macvlan mode bridge
	ip link set ${WAN_DEV} up
	if ! { [ -f "$ROOT/var/run/udhcpc-wan.pid" ] && kill -0 "$(cat "$ROOT/var/run/udhcpc-wan.pid")" 2>/dev/null; }; then
		udhcpc -p "$ROOT/var/run/udhcpc-wan.pid" -s "$ROOT/usr/share/udhcpc/default.script" -f -t 0 -i ${WAN_DEV} -R \\
			</dev/null >>"$ROOT/var/log/udhcpc.out" 2>&1 &
	fi
}
wan_down() {
	if [ -f "$ROOT/var/run/udhcpc-wan.pid" ]; then
		p=$(cat "$ROOT/var/run/udhcpc-wan.pid")
		kill -TERM "$p" 2>/dev/null
		n=0; while kill -0 "$p" 2>/dev/null && [ $n -lt 30 ]; do sleep 0.1; n=$((n+1)); done
		rm -f "$ROOT/var/run/udhcpc-wan.pid"
	fi
	ip link del ${WAN_DEV} 2>/dev/null
}

log "hook $1"
case "$1" in
primary)
	ct -c
	ct -f
	ct -R
	ct -B
	wan_up
	"$ROOT/etc/init.d/dnsmasq" start
	;;
backup)
	$CONNTRACKD_BIN -C $CONNTRACKD_CONFIG -s >/dev/null 2>&1
	if [ $? -eq 1 ]; then
		[ -f $CONNTRACKD_LOCK ] && rm -f $CONNTRACKD_LOCK
		"$ROOT/etc/init.d/conntrackd" start || { log "ERROR: cannot start conntrackd"; exit 1; }
	fi
	ct -t
	ct -n
	wan_down
	"$ROOT/etc/init.d/dnsmasq" stop
	;;
fault)
	ct -t
	wan_down
	"$ROOT/etc/init.d/dnsmasq" stop
	;;
*)
	log "ERROR: unknown state transition"
	echo "Usage: primary-backup.sh {primary|backup|fault}"
	exit 1
	;;
esac
log "hook $1 done"
exit 0
`;
}

/** udhcpc event script: put the lease on the interface without flushing it on renew, default route via the ISP. */
export function udhcpcScript(node: RouterNode): string {
	return `#!/bin/sh
# udhcpc event script for ${node.name} (testbed): configures $interface, records the lease.
ROOT=${node.root}
echo "$(date +%s.%N) $1 ip=$ip router=$router" >>"$ROOT/var/log/udhcpc.log"
case "$1" in
deconfig)
	ip -4 addr flush dev "$interface"
	ip link set "$interface" up
	;;
bound|renew)
	for a in $(ip -4 -o addr show dev "$interface" | awk '{print $4}'); do
		[ "$a" = "$ip/\${mask:-24}" ] || ip addr del "$a" dev "$interface"
	done
	ip addr replace "$ip/\${mask:-24}" dev "$interface"
	[ -n "$router" ] && ip route replace default via "\${router%% *}" dev "$interface"
	echo "$ip" >"$ROOT/var/run/wan.lease"
	;;
esac
exit 0
`;
}

function nftRuleset(): string {
	return `# seed-style NAT (baseline): masquerade out of the WAN
table ip seed_nat
delete table ip seed_nat
table ip seed_nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "${WAN_DEV}" masquerade
	}
}
`;
}

const roles = new WeakMap<RouterNode, NodeRole>();

export const seedStack: Stack = {
	name: 'baseline',
	advertIntS: SEED_ADVERT_INT,
	unavailable: () => undefined,
	async configure(bed: Testbed, node: RouterNode, role: NodeRole) {
		roles.set(node, role);
		writeUciFiles(node, role);
		writeFile(path.join(node.root, 'etc/keepalived/keepalived.conf'), keepalivedConf(node, role, role.priority));
		writeFile(path.join(node.root, 'etc/conntrackd/conntrackd.conf'), conntrackdConf(node, bed.routers));
		writeFile(path.join(node.root, 'etc/keepalived/primary-backup.sh'), hook(node), 0o755);
		writeFile(path.join(node.root, 'usr/share/udhcpc/default.script'), udhcpcScript(node), 0o755);
		writeFile(path.join(node.root, 'etc/seed/nat.nft'), nftRuleset());
	},
	async boot(_bed: Testbed, node: RouterNode) {
		nsRun(node.ns, 'nft', ['-f', path.join(node.root, 'etc/seed/nat.nft')]);
		await initdOk(node, 'conntrackd', 'start');
		await initdOk(node, 'keepalived', 'start');
	},
	async switchAway(_bed: Testbed, node: RouterNode) {
		// The seed way: lower the priority in keepalived.conf and reload keepalived.
		const role = roles.get(node);
		if (!role) throw new Error(`${node.name}: not configured`);
		writeFile(path.join(node.root, 'etc/keepalived/keepalived.conf'), keepalivedConf(node, role, 50));
		await initdOk(node, 'keepalived', 'reload');
	},
};
