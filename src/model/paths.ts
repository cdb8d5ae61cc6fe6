// Where ha-router reads and writes on a node. Everything hangs off `root` ('' on a router), so a
// staging root (--root, tests, the emulated testbed) never touches the host's own files.

export interface Paths {
	readonly root: string;
	/** Directory holding the UCI files `ha-router` and `network` (and `keepalived`, `firewall`). */
	readonly configDir: string;
	/** argv that runs this program; keepalived's notify line and hotplug glue call it. */
	readonly self: readonly string[];
	readonly keepalivedConf: string;
	/** The shared WAN's lease as keepalived addresses and routes; keepalived.conf includes it. */
	readonly keepalivedWan: string;
	readonly conntrackdConf: string;
	readonly conntrackdSocket: string;
	readonly conntrackdLock: string;
	/** Our nftables table as last applied (without a lease address). */
	readonly nftRuleset: string;
	/** The rules fw4 includes at the start of its input chain (renderFw4Input). */
	readonly fw4Input: string;
	/** Our table as last loaded into the kernel, with the lease address: fw4 includes this file. */
	readonly nftLoaded: string;
	/** What apply changed in other packages' config, as it was before: teardown puts it back. */
	readonly originals: string;
	/** Runtime state: role, lease, last transition. A tmpfs (/var/run): its files are written without fsync (writeFileAtomic durable false). */
	readonly runDir: string;
	readonly stateFile: string;
	readonly leaseFile: string;
	readonly lockFile: string;
	/** keepalived track_file: a number written here adjusts the priority at run time. */
	readonly trackFile: string;
	/** The sites' policy rules and routes as an `ip -batch` document (render/sites.ts). */
	readonly siteRoutes: string;
	/** iproute2's table names; apply keeps one block of ours in it. */
	readonly rtTables: string;
}

export function pathsFor(root: string, configDir = `${root}/etc/config`, self: readonly string[] = ['/usr/bin/ha-router']): Paths {
	const run = `${root}/var/run/ha-router`;
	return {
		root,
		configDir,
		self,
		keepalivedConf: `${root}/etc/ha-router/keepalived.conf`,
		keepalivedWan: `${run}/keepalived-wan.conf`,
		conntrackdConf: `${root}/etc/conntrackd/conntrackd.conf`,
		conntrackdSocket: `${root}/var/run/conntrackd.ctl`,
		conntrackdLock: `${root}/var/lock/conntrack.lock`,
		nftRuleset: `${root}/etc/ha-router/ruleset.nft`,
		fw4Input: `${root}/etc/ha-router/fw4-input.nft`,
		nftLoaded: `${run}/table.nft`,
		originals: `${root}/etc/ha-router/originals.json`,
		runDir: run,
		stateFile: `${run}/state.json`,
		leaseFile: `${run}/lease.json`,
		lockFile: `${run}/lock`,
		trackFile: `${run}/priority`,
		siteRoutes: `${root}/etc/ha-router/site-routes`,
		rtTables: `${root}/etc/iproute2/rt_tables`,
	};
}
