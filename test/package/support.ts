// Shared helpers for the package tests: build the .ipk into a temporary directory, read tar
// archives exactly (headers included), and read the feed Makefiles.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const FILES = path.join(ROOT, 'files');
export const VERSION: string = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
export const EPOCH = 1_700_000_000;

/** busybox sh when present (what a router runs), else the system sh. */
export const ASH: readonly string[] = spawnSync('busybox', ['sh', '-c', 'true']).status === 0 ? ['busybox', 'sh'] : ['sh'];

export interface Run {
	code: number | null;
	stdout: string;
	stderr: string;
}

export function run(argv: readonly string[], opts: SpawnSyncOptions = {}): Run {
	const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 60_000, ...opts });
	if (r.error) throw r.error;
	return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export function tempDir(tag: string): string {
	return mkdtempSync(path.join(tmpdir(), `ha-router-${tag}-`));
}

/** One private copy of the bundle per test process, so a concurrent `make build` cannot change it mid-test. */
let pinnedBundle: string | undefined;
export function bundle(): string {
	if (pinnedBundle) return pinnedBundle;
	const dist = path.join(ROOT, 'dist/ha-router.js');
	if (!existsSync(dist)) {
		const r = run(['node', 'scripts/build.mjs'], { cwd: ROOT });
		if (r.code !== 0) throw new Error(`node scripts/build.mjs failed:\n${r.stderr}`);
	}
	pinnedBundle = path.join(tempDir('bundle'), 'ha-router.js');
	copyFileSync(dist, pinnedBundle);
	return pinnedBundle;
}

/** Runs scripts/build-ipk.sh into a fresh directory and returns the .ipk path. */
export function buildIpk(opts: { epoch?: number; version?: string } = {}): string {
	const out = tempDir('ipk');
	const version = opts.version ?? VERSION;
	const r = run(['sh', 'scripts/build-ipk.sh', version, out], {
		cwd: ROOT,
		env: { ...process.env, SOURCE_DATE_EPOCH: String(opts.epoch ?? EPOCH), IPK_BUNDLE: bundle() },
	});
	if (r.code !== 0) throw new Error(`build-ipk.sh failed (${r.code}):\n${r.stderr}`);
	return path.join(out, `ha-router_${version}_all.ipk`);
}

export interface TarEntry {
	name: string;
	/** '0' file, '5' directory, '2' symlink, ... */
	type: string;
	mode: number;
	uid: number;
	gid: number;
	uname: string;
	gname: string;
	mtime: number;
	data: Buffer;
}

function field(b: Buffer, off: number, len: number): string {
	const s = b.subarray(off, off + len);
	const nul = s.indexOf(0);
	return (nul < 0 ? s : s.subarray(0, nul)).toString('utf8');
}

function octal(b: Buffer, off: number, len: number): number {
	return parseInt(field(b, off, len).trim() || '0', 8);
}

/** Parses a (gzip'd) ustar/GNU tar archive, in archive order; GNU long names are resolved. */
export function readTar(archive: Buffer): TarEntry[] {
	const buf = archive[0] === 0x1f && archive[1] === 0x8b ? gunzipSync(archive) : archive;
	const entries: TarEntry[] = [];
	let longName: string | undefined;
	for (let off = 0; off + 512 <= buf.length; ) {
		const h = buf.subarray(off, off + 512);
		if (h.every((x) => x === 0)) break;
		const size = octal(h, 124, 12);
		const type = String.fromCharCode(h[156] || 0x30);
		const data = buf.subarray(off + 512, off + 512 + size);
		off += 512 + Math.ceil(size / 512) * 512;
		if (type === 'L') {
			longName = field(data, 0, data.length);
			continue;
		}
		entries.push({
			name: longName ?? field(h, 0, 100),
			type,
			mode: octal(h, 100, 8),
			uid: octal(h, 108, 8),
			gid: octal(h, 116, 8),
			mtime: octal(h, 136, 12),
			uname: field(h, 265, 32),
			gname: field(h, 297, 32),
			data: Buffer.from(data),
		});
		longName = undefined;
	}
	return entries;
}

export function member(entries: readonly TarEntry[], name: string): TarEntry {
	const e = entries.find((x) => x.name === name);
	if (!e) throw new Error(`no ${name} in archive (has ${entries.map((x) => x.name).join(' ')})`);
	return e;
}

/** Unpacks an .ipk the way opkg sees it: the outer members, and the two inner archives parsed. */
export function openIpk(ipk: string) {
	const outer = readTar(readFileSync(ipk));
	const data = readTar(member(outer, './data.tar.gz').data);
	const control = readTar(member(outer, './control.tar.gz').data);
	const controlText = member(control, './control').data.toString('utf8');
	return { outer, data, control, controlText, fields: controlFields(controlText) };
}

/** control file -> field map; continuation lines (leading space) are joined with '\n'. */
export function controlFields(text: string): Map<string, string> {
	const fields = new Map<string, string>();
	let last = '';
	for (const line of text.replace(/\n$/, '').split('\n')) {
		if (line.startsWith(' ') && last) {
			fields.set(last, `${fields.get(last)}\n${line}`);
			continue;
		}
		const m = /^([A-Za-z][A-Za-z0-9-]*):\s?(.*)$/.exec(line);
		if (!m) throw new Error(`bad control line: ${JSON.stringify(line)}`);
		last = m[1];
		fields.set(m[1], m[2]);
	}
	return fields;
}

/** Every regular file under dir, as '/relative/path', sorted. */
export function treeFiles(dir: string, prefix = ''): string[] {
	if (!existsSync(dir)) return [];
	const out: string[] = [];
	for (const name of readdirSync(dir)) {
		const p = path.join(dir, name);
		const st = statSync(p);
		if (st.isDirectory()) out.push(...treeFiles(p, `${prefix}/${name}`));
		else out.push(`${prefix}/${name}`);
	}
	return out.sort();
}

export function isExecutable(file: string): boolean {
	return (statSync(file).mode & 0o100) !== 0;
}

/** A `NAME:=value` of an OpenWrt Makefile (first match), or undefined. */
export function makeVar(mk: string, name: string): string | undefined {
	const m = new RegExp(`^\\s*${name.replace(/[/]/g, '\\/')}:=(.*)$`, 'm').exec(mk);
	return m?.[1].trim();
}

/** The body of `define NAME` ... `endef`, or undefined. */
export function makeBlock(mk: string, name: string): string | undefined {
	const lines = mk.split('\n');
	const start = lines.indexOf(`define ${name}`);
	if (start < 0) return undefined;
	const end = lines.indexOf('endef', start);
	return lines.slice(start + 1, end).join('\n');
}
