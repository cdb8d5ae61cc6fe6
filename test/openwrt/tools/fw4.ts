// Stand-in for firewall4's /sbin/fw4 in a staging root (our own code; contract: openwrt/firewall4
// root/sbin/fw4 and fw4.uc's include handling). Runs inside the node's namespace.
//   start|reload  one `nft -f` transaction: table inet fw4 (declared, flushed, redefined) with the
//                 nftables includes at their positions (UCI `config include` type nftables, and
//                 the automatic ones under /usr/share/nftables.d); a path that does not exist is
//                 skipped with a warning. Then every `type script` include is sourced by busybox sh
//                 (OpenWrt's /bin/sh; dash would unblock signals at start)
//                 with SIGCHLD BLOCKED and is killed after 30 s, as ucode's system() did before
//                 its commit 4170c8d (what routers in the field run).
//   stop          deletes table inet fw4;  flush: deletes every table;  restart: stop + start.
// Not modelled: zones, rules, the fw4 lock held across the includes.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseUci } from '../../../src/config/uci-parse.ts';

const ROOT = process.env.MINI_ROOT ?? '';
const STATE = `${ROOT}/var/run/fw4.state`;
const INCLUDE_TIMEOUT_MS = Number(process.env.MINI_FW4_INCLUDE_TIMEOUT_MS ?? 30_000);
const POSITIONS = ['ruleset-prepend', 'ruleset-append', 'table-prepend', 'table-append', 'chain-prepend', 'chain-append'] as const;
type Position = (typeof POSITIONS)[number];
const CHAINS: Record<string, string> = {
	input: 'type filter hook input priority filter; policy accept;',
	forward: 'type filter hook forward priority filter; policy accept;',
	output: 'type filter hook output priority filter; policy accept;',
	dstnat: 'type nat hook prerouting priority dstnat; policy accept;',
	srcnat: 'type nat hook postrouting priority srcnat; policy accept;',
};

interface NftInclude {
	position: Position;
	chain?: string;
	file: string;
}

const warn = (msg: string) => process.stderr.write(`${msg}\n`);

/** A path as the router names it, inside the staging root. */
const inRoot = (p: string) => (ROOT && !p.startsWith(`${ROOT}/`) ? `${ROOT}${p}` : p);

/**
 * fw4's parse_enum matches any prefix of a position name, and *-postpend is an alias of *-append:
 * 'ruleset-post' is a prefix of 'ruleset-postpend' (firewall4 tests/06_includes/01_nft_includes).
 */
function position(value: string | undefined): Position | undefined {
	const v = value ?? 'table-append';
	for (const p of POSITIONS) {
		if (p.startsWith(v) || p.replace(/append$/, 'postpend').startsWith(v)) return p;
	}
	return undefined;
}

function readConfig() {
	const file = `${ROOT}/etc/config/firewall`;
	if (!existsSync(file)) return [];
	const sections = parseUci(readFileSync(file, 'utf8'), 'firewall').sections;
	return sections.map((s) => ({ s, opt: (n: string) => s.options.find((o) => o.name === n)?.values[0] }));
}

function includes(): { nft: NftInclude[]; scripts: string[] } {
	const nft: NftInclude[] = [];
	const scripts: string[] = [];
	const auto: [string, Position][] = [
		['ruleset-pre', 'ruleset-prepend'],
		['ruleset-post', 'ruleset-append'],
		['table-pre', 'table-prepend'],
		['table-post', 'table-append'],
	];
	const dir = `${ROOT}/usr/share/nftables.d`;
	const nftFiles = (d: string) => (existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.nft')).sort().map((f) => path.join(d, f)) : []);
	for (const [sub, pos] of auto) for (const file of nftFiles(`${dir}/${sub}`)) nft.push({ position: pos, file });
	for (const [sub, pos] of [['chain-pre', 'chain-prepend'], ['chain-post', 'chain-append']] as const) {
		const base = `${dir}/${sub}`;
		for (const chain of existsSync(base) ? readdirSync(base).sort() : []) for (const file of nftFiles(`${base}/${chain}`)) nft.push({ position: pos, chain, file });
	}
	for (const { s, opt } of readConfig()) {
		if (s.type !== 'include' || opt('enabled') === '0') continue;
		const where = `Section ${s.id}`;
		const p = opt('path');
		if (!p) {
			warn(`${where} has no 'path', ignoring section`);
			continue;
		}
		const file = inRoot(p);
		if (!existsSync(file)) {
			warn(`${where} specifies unreachable path '${p}', ignoring section`);
			continue;
		}
		if ((opt('type') ?? 'script') === 'script') {
			const compatible = opt('fw4_compatible') ?? (p === '/etc/firewall.user' ? '0' : '1');
			if (compatible === '1') scripts.push(file);
			else warn(`${where} is not marked fw4 compatible, ignoring section`);
			continue;
		}
		const pos = position(opt('position'));
		const chain = opt('chain');
		if (!pos || (pos.startsWith('chain') && !chain)) {
			warn(`${where} has an invalid position or no chain, ignoring section`);
			continue;
		}
		nft.push({ position: pos, chain, file });
	}
	return { nft, scripts };
}

function render(nft: NftInclude[]): string {
	const inc = (pos: Position, chain?: string, indent = '') =>
		nft.filter((i) => i.position === pos && i.chain === chain).map((i) => `${indent}include "${i.file}"\n`).join('');
	let out = 'table inet fw4\nflush table inet fw4\n';
	out += inc('ruleset-prepend');
	out += 'table inet fw4 {\n';
	out += inc('table-prepend', undefined, '\t');
	for (const [chain, hook] of Object.entries(CHAINS)) {
		out += `\tchain ${chain} {\n\t\t${hook}\n${inc('chain-prepend', chain, '\t\t')}`;
		if (chain === 'input' || chain === 'forward') out += '\t\tct state established,related accept\n';
		out += `${inc('chain-append', chain, '\t\t')}\t}\n`;
	}
	out += inc('table-append', undefined, '\t');
	out += '}\n';
	out += inc('ruleset-append');
	return out;
}

function nft(args: string[], input?: string): number {
	const r = spawnSync('nft', args, { input, stdio: [input === undefined ? 'ignore' : 'pipe', 'inherit', 'inherit'], timeout: 30_000 });
	return r.status ?? 1;
}

/** One script include, the way ucode's system() ran it: SIGCHLD blocked, killed after the timeout. */
function runScript(file: string): Promise<void> {
	return new Promise((resolve) => {
		const blockThenSh = 'use POSIX; sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGCHLD)) or die; exec "busybox", "sh", "-c", ". \\"\\$0\\"", $ARGV[0] or die;';
		const child = spawn('perl', ['-e', blockThenSh, file], { stdio: ['ignore', 'inherit', 'inherit'] });
		const timer = setTimeout(() => {
			warn(`include ${file} timed out after ${INCLUDE_TIMEOUT_MS} ms, killed`);
			child.kill('SIGKILL');
		}, INCLUDE_TIMEOUT_MS);
		child.on('close', () => {
			clearTimeout(timer);
			resolve();
		});
	});
}

async function start(action: 'start' | 'reload'): Promise<number> {
	if (action === 'start' && existsSync(STATE)) return die('The fw4 firewall appears to be already loaded.');
	if (action === 'reload' && !existsSync(STATE)) return die('The fw4 firewall does not appear to be loaded.');
	const { nft: nftIncludes, scripts } = includes();
	const ruleset = render(nftIncludes);
	if (nft(['-f', '-'], ruleset) !== 0) return 1;
	mkdirSync(path.dirname(STATE), { recursive: true });
	writeFileSync(STATE, ruleset);
	for (const s of scripts) await runScript(s);
	return 0;
}

function stop(): number {
	rmSync(STATE, { force: true });
	return nft(['delete', 'table', 'inet', 'fw4']);
}

function flush(): number {
	const r = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8', timeout: 10_000 });
	for (const line of (r.stdout ?? '').split('\n')) {
		const [, family, table] = line.trim().split(/\s+/);
		if (family && table) nft(['delete', 'table', family, table]);
	}
	rmSync(STATE, { force: true });
	return 0;
}

function die(msg: string): number {
	warn(msg);
	return 1;
}

async function main(argv: string[]): Promise<number> {
	const args = argv.filter((a) => a !== '-q' && a !== '-v');
	switch (args[0]) {
		case 'start':
		case 'reload':
			return start(args[0]);
		case 'stop':
			return stop() === 0 ? 0 : die('The fw4 firewall does not appear to be loaded, try fw4 flush to delete all rules.');
		case 'flush':
			return flush();
		case 'restart': {
			const { nft: nftIncludes } = includes();
			if (nft(['-c', '-f', '-'], render(nftIncludes)) !== 0) return die('The rendered ruleset contains errors, not doing firewall restart.');
			if (stop() !== 0) rmSync(STATE, { force: true });
			return start('start');
		}
		case 'print':
			process.stdout.write(render(includes().nft));
			return 0;
		default:
			return die('usage: fw4 [-q] start|stop|flush|restart|reload|print');
	}
}

main(process.argv.slice(2)).then((code) => process.exit(code));
