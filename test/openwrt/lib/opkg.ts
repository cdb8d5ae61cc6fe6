// `opkg install <ipk>` / `opkg remove <pkg>` into a mini OpenWrt root (our own code; contract:
// openwrt/opkg-lede and base-files' default_postinst/default_prerm). Install: control files to
// /usr/lib/opkg/info/<pkg>.*, preinst install, data unpacked, <pkg>.list written, postinst
// configure. Remove: prerm remove, the package's files deleted except conffiles the admin
// changed (opkg keeps those), postrm remove, info files deleted.
// Control scripts run in the node's namespace with busybox sh and IPKG_INSTROOT unset, as on a
// live router. Staging root: their absolute paths (/etc, /usr, /lib, /sbin, /var, /tmp and
// ${IPKG_INSTROOT}/lib/functions.sh) are rewritten into the root, and /usr/bin/ha-router into the
// root's tjs wrapper, since the host has neither OpenWrt's files nor /usr/bin/tjs.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runIn } from './spawn-in.ts';

const SCRIPTS = ['preinst', 'postinst', 'prerm', 'postrm', 'postinst-pkg', 'prerm-pkg'];

const infoDir = (root: string) => path.join(root, 'usr/lib/opkg/info');
const md5 = (file: string) => createHash('md5').update(readFileSync(file)).digest('hex');

/** A control script with its router paths moved into the staging root. */
export function stageScript(text: string, root: string): string {
	return text
		.replace(/(^|[\s"'=(;])\/(etc|usr|lib|sbin|var|tmp)\//gm, `$1${root}/$2/`)
		.replace(/\$\{IPKG_INSTROOT\}\/lib\/functions\.sh/g, `${root}/lib/functions.sh`)
		.replace(new RegExp(`${root}/usr/bin/ha-router\\b`, 'g'), `${root}/usr/libexec/mini-openwrt/ha-router`);
}

function runControl(root: string, ns: string, pkg: string, script: string, arg: string): Promise<number | null> {
	const file = path.join(infoDir(root), `${pkg}.${script}`);
	if (!existsSync(file)) return Promise.resolve(0);
	return runIn(ns, ['busybox', 'sh', '-c', '. "$0/lib/mini-openwrt.sh" && exec busybox sh "$@"', root, file, arg], { timeoutMs: 120_000, stdio: ['ignore', 'inherit', 'inherit'] });
}

function untar(archive: string, dir: string): string[] {
	mkdirSync(dir, { recursive: true });
	execFileSync('tar', ['-xzf', archive, '-C', dir], { timeout: 30_000 });
	return execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' }).split('\n').filter((l) => l !== '');
}

/** Installs an .ipk; returns the package name. Throws if a control script fails. */
export async function opkgInstall(root: string, ns: string, ipk: string): Promise<string> {
	const tmp = mkdtempSync(path.join(tmpdir(), 'mini-opkg-'));
	try {
		untar(ipk, tmp);
		const ctrl = path.join(tmp, 'control');
		untar(path.join(tmp, 'control.tar.gz'), ctrl);
		const pkg = /^Package: (.+)$/m.exec(readFileSync(path.join(ctrl, 'control'), 'utf8'))?.[1]?.trim();
		if (!pkg) throw new Error(`${ipk}: no Package in control`);
		mkdirSync(infoDir(root), { recursive: true });
		for (const name of readdirSync(ctrl)) {
			const src = path.join(ctrl, name);
			if (!statSync(src).isFile()) continue;
			const dst = path.join(infoDir(root), `${pkg}.${name}`);
			const text = readFileSync(src, 'utf8');
			writeFileSync(dst, SCRIPTS.includes(name) ? stageScript(text, root) : text);
			chmodSync(dst, statSync(src).mode & 0o777);
		}
		if ((await runControl(root, ns, pkg, 'preinst', 'install')) !== 0) throw new Error(`${pkg}: preinst failed`);
		const files = untar(path.join(tmp, 'data.tar.gz'), root)
			.map((f) => f.replace(/^\.\//, '/'))
			.filter((f) => f !== '/' && existsSync(path.join(root, f)) && !statSync(path.join(root, f)).isDirectory());
		writeFileSync(path.join(infoDir(root), `${pkg}.list`), `${files.join('\n')}\n`);
		const conffiles = path.join(infoDir(root), `${pkg}.conffiles`);
		if (existsSync(conffiles)) {
			const sums = readFileSync(conffiles, 'utf8').split('\n').filter(Boolean).map((f) => `${f} ${md5(path.join(root, f))}`);
			writeFileSync(path.join(infoDir(root), `${pkg}.conffiles-md5`), `${sums.join('\n')}\n`);
		}
		if ((await runControl(root, ns, pkg, 'postinst', 'configure')) !== 0) throw new Error(`${pkg}: postinst failed`);
		return pkg;
	} finally {
		rmSync(tmp, { recursive: true, force: true });
	}
}

export async function opkgRemove(root: string, ns: string, pkg: string): Promise<void> {
	const info = (ext: string) => path.join(infoDir(root), `${pkg}.${ext}`);
	if ((await runControl(root, ns, pkg, 'prerm', 'remove')) !== 0) throw new Error(`${pkg}: prerm failed`);
	const changed = new Set<string>();
	if (existsSync(info('conffiles-md5'))) {
		for (const line of readFileSync(info('conffiles-md5'), 'utf8').split('\n').filter(Boolean)) {
			const [f, sum] = line.split(' ');
			if (f && existsSync(path.join(root, f)) && md5(path.join(root, f)) !== sum) changed.add(f);
		}
	}
	for (const f of readFileSync(info('list'), 'utf8').split('\n').filter(Boolean)) if (!changed.has(f)) rmSync(path.join(root, f), { force: true });
	await runControl(root, ns, pkg, 'postrm', 'remove');
	for (const name of readdirSync(infoDir(root))) if (name.startsWith(`${pkg}.`)) rmSync(path.join(infoDir(root), name), { force: true });
}

/**
 * The installed package's init scripts as they would run on a router from this root: their
 * interpreter line names the root's rc.common and their paths (/usr/bin/ha-router included)
 * move into the root, as stageScript does for control scripts. For nodes whose init scripts
 * run the package itself (the e2e pair's boot); returns the scripts it changed.
 */
export function stageInitScripts(root: string, pkg: string): string[] {
	const list = path.join(infoDir(root), `${pkg}.list`);
	const scripts = readFileSync(list, 'utf8').split('\n').filter((f) => f.startsWith('/etc/init.d/'));
	for (const f of scripts) {
		const file = path.join(root, f);
		writeFileSync(file, stageScript(readFileSync(file, 'utf8'), root));
	}
	return scripts;
}
