// A LuCI host stand-in for browser tests: an HTTP server that serves our app's views with the
// client stand-in (test/luci/www/luci.js) and answers what a router's uhttpd + rpcd + LuCI would:
//   POST /ubus                         ubus JSON-RPC (uhttpd-mod-ubus): `session` login/access,
//                                      `uci` get/set/add/delete/changes/revert/apply/confirm/rollback,
//                                      and `ha-router`, which runs the REAL rpcd plugin script
//                                      (files/usr/libexec/rpcd/ha-router) on the real CLI bundle (tjs)
//   POST /cgi-bin/luci/admin/uci/apply_rollback, /confirm   LuCI's controller (ucode admin/uci.uc)
//   GET  /cgi-bin/luci/<menu path>     the page shell for a menu.d entry (depends.acl checked)
// Every ubus call is checked against the session's ACL as rpcd's session.c builds it at login from
// our acl.d JSON (plus the luci-base grants our pages use): `ubus <object> <method>`, and for uci
// `uci <config> read|write` as rpcd's uci.c asks. uci changes are staged per session (rpcd keeps
// them in /var/run/rpcd/uci-<sid>) and `apply` commits them with a rollback timer; a commit of
// ha-router runs what procd's reload trigger runs (/etc/init.d/ha-router reload: `ha-router apply`).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseUci } from '../../src/config/uci-parse.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const APP = path.join(ROOT, 'openwrt/luci-app-ha-router');
export const PLUGIN = path.join(ROOT, 'files/usr/libexec/rpcd/ha-router');
const ACL_FILE = path.join(APP, 'root/usr/share/rpcd/acl.d/luci-app-ha-router.json');
const MENU_FILE = path.join(APP, 'root/usr/share/luci/menu.d/luci-app-ha-router.json');
const WWW = path.join(import.meta.dirname, 'www');

// ubus status codes (libubox ubusmsg.h).
export const UBUS = { OK: 0, INVALID_COMMAND: 1, INVALID_ARGUMENT: 2, METHOD_NOT_FOUND: 3, NOT_FOUND: 4, NO_DATA: 5, PERMISSION_DENIED: 6, TIMEOUT: 7 } as const;
const NULL_SID = '00000000000000000000000000000000';

/** What luci-base's ACL grants every login, as far as our pages use it (luci-base.json: "luci-base"). */
const LUCI_BASE = { read: { ubus: { session: ['access', 'destroy'], uci: ['changes', 'get'] } }, write: { ubus: { uci: ['add', 'apply', 'confirm', 'delete', 'rollback', 'revert', 'set'] } } };

export interface User {
	password: string;
	/** Group patterns as /etc/config/rpcd `list read` / `list write`. */
	read: string[];
	write: string[];
}

export interface EndpointOptions {
	/** The node's config directory (its etc/config). */
	configDir: string;
	/** The CLI as the plugin runs it (HA_ROUTER): a wrapper script. */
	cli: string;
	/** Words put before `sh plugin ...` (e.g. ip netns exec NS). */
	wrap?: string[];
	users: Record<string, User>;
	/** rpcd's exec timeout (-t, /etc/config/rpcd `timeout`), seconds. */
	rpcdTimeoutS?: number;
	/** The plugin's own deadline (HA_ROUTER_RPC_LIMIT); unset: the plugin's default. */
	pluginLimitS?: number;
	/** LuCI's `apply.rollback` (the controller asks for max(90, this); tests use less). */
	rollbackS?: number;
	/** What procd's reload trigger for ha-router runs (init reload); awaited by `settled()`. */
	onCommit?: () => Promise<void>;
}

interface Session {
	user: string;
	acl: string[];
	delta: Map<string, Op[]>;
	values: Record<string, unknown>;
}

type Op =
	| { op: 'set'; section: string; values: Record<string, string | string[]> }
	| { op: 'add'; section: string; type: string; anonymous: boolean; values: Record<string, string | string[]> }
	| { op: 'delete'; section: string; options?: string[] };

interface Section {
	'.anonymous': boolean;
	'.type': string;
	'.name': string;
	'.index': number;
	[k: string]: string | string[] | boolean | number;
}

export interface Endpoint {
	url: string;
	server: Server;
	/** Every ubus call answered: [user, object, method, status]. */
	calls: [string, string, string, number][];
	/** While true, LuCI's confirm does not reach the router (the browser lost it). */
	blockConfirm: boolean;
	/** Resolves when triggered reloads (apply, rollback) have finished. */
	settled(): Promise<void>;
	/** A ubus call as the browser would make it (for tests of the ACL without a browser). */
	ubus(sid: string, object: string, method: string, args?: Record<string, unknown>): Promise<[number, unknown?]>;
	login(user: string, password: string): Promise<string | null>;
	close(): Promise<void>;
}

function fnmatch(pattern: string, s: string): boolean {
	const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
	return re.test(s);
}

/** rpcd session.c at login: each group whose name matches a read (write) pattern adds its read (and write) scope. */
function grants(user: User): string[] {
	const groups: Record<string, Record<string, Record<string, string[] | Record<string, string[]>>>> = { 'luci-base': LUCI_BASE, ...JSON.parse(readFileSync(ACL_FILE, 'utf8')) };
	const out: string[] = [];
	for (const [name, group] of Object.entries(groups)) {
		const perms = [...(user.read.some((p) => fnmatch(p, name)) || user.write.some((p) => fnmatch(p, name)) ? ['read'] : []), ...(user.write.some((p) => fnmatch(p, name)) ? ['write'] : [])];
		for (const perm of perms)
			for (const [scope, objects] of Object.entries(group[perm] ?? {})) {
				if (Array.isArray(objects)) for (const o of objects) out.push(`${scope}\t${o}\t${perm}`);
				else for (const [o, fns] of Object.entries(objects)) for (const f of fns) out.push(`${scope}\t${o}\t${f}`);
			}
	}
	return out;
}

function allowed(s: Session, scope: string, object: string, fn: string): boolean {
	return s.acl.some((g) => {
		const [sc, o, f] = g.split('\t') as [string, string, string];
		return sc === scope && fnmatch(o, object) && fnmatch(f, fn);
	});
}

function readConfig(dir: string, config: string): Section[] {
	const file = path.join(dir, config);
	if (!existsSync(file)) return [];
	const pkg = parseUci(readFileSync(file, 'utf8'), file);
	return pkg.sections.map((s, i) => {
		const out: Section = { '.anonymous': s.anonymous, '.type': s.type, '.name': s.name, '.index': i };
		for (const o of s.options) out[o.name] = o.isList ? [...o.values] : o.values[0]!;
		return out;
	});
}

function applyOps(sections: Section[], ops: readonly Op[]): Section[] {
	const out = sections.map((s) => ({ ...s }));
	for (const op of ops) {
		const i = out.findIndex((s) => s['.name'] === op.section);
		if (op.op === 'add') out.push({ '.anonymous': op.anonymous, '.type': op.type, '.name': op.section, '.index': out.length, ...op.values });
		else if (i < 0) continue;
		else if (op.op === 'set') Object.assign(out[i]!, op.values);
		else if (op.options) for (const o of op.options) delete out[i]![o];
		else out.splice(i, 1);
	}
	return out.map((s, i) => ({ ...s, '.index': i }));
}

function quote(v: string): string {
	return `'${v.replace(/'/g, "'\\''")}'`;
}

/** What libuci's commit writes (comments are not kept, as with libuci). */
function exportConfig(sections: readonly Section[]): string {
	return sections
		.map((s) => {
			const lines = [`config ${s['.type']}${s['.anonymous'] ? '' : ` ${quote(s['.name'])}`}`];
			for (const [k, v] of Object.entries(s)) {
				if (k.startsWith('.')) continue;
				if (Array.isArray(v)) for (const x of v) lines.push(`\tlist ${k} ${quote(x)}`);
				else if (v !== '') lines.push(`\toption ${k} ${quote(String(v))}`);
			}
			return `${lines.join('\n')}\n`;
		})
		.join('\n');
}

function body(req: IncomingMessage): Promise<string> {
	return new Promise((resolve, reject) => {
		let data = '';
		req.on('data', (c: Buffer) => (data += c.toString('utf8')));
		req.on('end', () => resolve(data));
		req.on('error', reject);
	});
}

function cookieSid(req: IncomingMessage): string | null {
	return /(?:^|;\s*)sysauth=([0-9a-f]{32})/.exec(req.headers.cookie ?? '')?.[1] ?? null;
}

export async function startEndpoint(opts: EndpointOptions): Promise<Endpoint> {
	const sessions = new Map<string, Session>();
	const calls: Endpoint['calls'] = [];
	const pending: Promise<void>[] = [];
	let rollback: { sid: string; timer: NodeJS.Timeout; snapshot: Map<string, string | null>; token: string } | null = null;
	const menu = JSON.parse(readFileSync(MENU_FILE, 'utf8')) as Record<string, { title: string; action: { path: string }; depends?: { acl?: string[] } }>;
	const methods = Object.keys(JSON.parse((await runPlugin(['list'], '')).stdout || '{}'));

	function runPlugin(argv: string[], input: string): Promise<{ stdout: string; timedOut: boolean }> {
		return new Promise((resolve) => {
			const cmd = [...(opts.wrap ?? []), 'busybox', 'sh', PLUGIN, ...argv];
			const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HA_ROUTER: opts.cli };
			if (opts.pluginLimitS !== undefined) env['HA_ROUTER_RPC_LIMIT'] = String(opts.pluginLimitS);
			const child = spawn(cmd[0]!, cmd.slice(1), { env, stdio: ['pipe', 'pipe', 'ignore'] });
			let stdout = '';
			let timedOut = false;
			// rpcd's exec timeout: the plugin is killed and the caller gets UBUS_STATUS_TIMEOUT.
			const timer = setTimeout(() => {
				timedOut = true;
				child.kill('SIGKILL');
			}, (opts.rpcdTimeoutS ?? 30) * 1000);
			child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
			child.on('close', () => {
				clearTimeout(timer);
				resolve({ stdout, timedOut });
			});
			child.stdin.on('error', () => {});
			child.stdin.end(input);
		});
	}

	function trigger(): void {
		if (opts.onCommit) pending.push(opts.onCommit().catch(() => {}));
	}

	function snapshotFiles(configs: string[]): Map<string, string | null> {
		return new Map(configs.map((c) => [c, existsSync(path.join(opts.configDir, c)) ? readFileSync(path.join(opts.configDir, c), 'utf8') : null]));
	}

	function restore(snapshot: Map<string, string | null>): void {
		for (const [c, text] of snapshot) if (text !== null) writeFileSync(path.join(opts.configDir, c), text);
		if (snapshot.has('ha-router')) trigger();
	}

	async function uci(s: Session, sid: string, method: string, a: Record<string, unknown>): Promise<[number, unknown?]> {
		const config = typeof a['config'] === 'string' ? a['config'] : '';
		const need = (perm: string) => allowed(s, 'uci', config, perm);
		const ops = () => s.delta.get(config) ?? [];
		const stage = (op: Op) => s.delta.set(config, [...ops(), op]);
		switch (method) {
			case 'get': {
				if (!need('read')) return [UBUS.PERMISSION_DENIED];
				if (!existsSync(path.join(opts.configDir, config))) return [UBUS.NOT_FOUND];
				const values = Object.fromEntries(applyOps(readConfig(opts.configDir, config), ops()).map((x) => [x['.name'], x]));
				return [UBUS.OK, { values }];
			}
			case 'set':
				if (!need('write')) return [UBUS.PERMISSION_DENIED];
				stage({ op: 'set', section: String(a['section']), values: (a['values'] ?? {}) as Record<string, string> });
				return [UBUS.OK];
			case 'add': {
				if (!need('write')) return [UBUS.PERMISSION_DENIED];
				const name = typeof a['name'] === 'string' ? a['name'] : `cfg${randomBytes(3).toString('hex')}`;
				stage({ op: 'add', section: name, type: String(a['type']), anonymous: typeof a['name'] !== 'string', values: (a['values'] ?? {}) as Record<string, string> });
				return [UBUS.OK, { section: name }];
			}
			case 'delete':
				if (!need('write')) return [UBUS.PERMISSION_DENIED];
				stage({ op: 'delete', section: String(a['section']), ...(Array.isArray(a['options']) ? { options: a['options'] as string[] } : typeof a['option'] === 'string' ? { options: [a['option']] } : {}) });
				return [UBUS.OK];
			case 'changes':
				return [UBUS.OK, { changes: Object.fromEntries([...s.delta].filter(([c]) => allowed(s, 'uci', c, 'read')).map(([c, o]) => [c, o.map((x) => [x.op, x.section])])) }];
			case 'revert':
				if (!need('write')) return [UBUS.PERMISSION_DENIED];
				s.delta.delete(config);
				return [UBUS.OK];
			case 'apply': {
				if (rollback && a['rollback']) return [UBUS.PERMISSION_DENIED];
				const configs = [...s.delta.keys()];
				if (configs.some((c) => !allowed(s, 'uci', c, 'write'))) return [UBUS.PERMISSION_DENIED];
				const snapshot = snapshotFiles(configs);
				for (const c of configs) writeFileSync(path.join(opts.configDir, c), exportConfig(applyOps(readConfig(opts.configDir, c), s.delta.get(c)!)));
				s.delta.clear();
				if (configs.includes('ha-router')) trigger();
				if (a['rollback']) {
					const timeoutS = typeof a['timeout'] === 'number' ? a['timeout'] : 60;
					const timer = setTimeout(() => {
						rollback = null;
						restore(snapshot);
					}, timeoutS * 1000);
					rollback = { sid, timer, snapshot, token: '' };
				}
				return [UBUS.OK];
			}
			case 'confirm':
				if (!rollback || rollback.sid !== sid) return [UBUS.NO_DATA];
				clearTimeout(rollback.timer);
				rollback = null;
				return [UBUS.OK];
			case 'rollback': {
				if (!rollback || rollback.sid !== sid) return [UBUS.NO_DATA];
				clearTimeout(rollback.timer);
				const snap = rollback.snapshot;
				rollback = null;
				restore(snap);
				return [UBUS.OK];
			}
			default:
				return [UBUS.METHOD_NOT_FOUND];
		}
	}

	async function call(sid: string, object: string, method: string, args: Record<string, unknown>): Promise<[number, unknown?]> {
		if (object === 'session' && method === 'login') {
			const user = opts.users[String(args['username'])];
			if (!user || user.password !== args['password']) return [UBUS.PERMISSION_DENIED];
			const id = randomBytes(16).toString('hex');
			sessions.set(id, { user: String(args['username']), acl: grants(user), delta: new Map(), values: {} });
			return [UBUS.OK, { ubus_rpc_session: id, timeout: 300 }];
		}
		const s = sessions.get(sid);
		// uhttpd-mod-ubus: `session access` for the object and method before the call.
		if (!s || !allowed(s, 'ubus', object, method)) return [UBUS.PERMISSION_DENIED];
		if (object === 'session') {
			if (method === 'access') return [UBUS.OK, { access: allowed(s, String(args['scope']), String(args['object']), String(args['function'])) }];
			if (method === 'destroy') return [UBUS.OK, void sessions.delete(sid)];
			return [UBUS.METHOD_NOT_FOUND];
		}
		if (object === 'uci') return uci(s, sid, method, args);
		if (object === 'ha-router') {
			if (!methods.includes(method)) return [UBUS.METHOD_NOT_FOUND];
			// uhttpd adds the session id to the arguments of every call.
			const r = await runPlugin(['call', method], JSON.stringify({ ...args, ubus_rpc_session: sid }));
			if (r.timedOut) return [UBUS.TIMEOUT];
			if (r.stdout.trim() === '') return [UBUS.NO_DATA];
			try {
				const o = JSON.parse(r.stdout) as unknown;
				if (typeof o !== 'object' || o === null || Array.isArray(o)) return [UBUS.INVALID_ARGUMENT];
				return [UBUS.OK, o];
			} catch {
				return [UBUS.INVALID_ARGUMENT];
			}
		}
		return [UBUS.NOT_FOUND];
	}

	async function ubusCall(sid: string, object: string, method: string, args: Record<string, unknown> = {}): Promise<[number, unknown?]> {
		const r = await call(sid, object, method, args);
		calls.push([sessions.get(sid)?.user ?? '-', object, method, r[0]]);
		return r;
	}

	function page(res: ServerResponse, sid: string, s: Session, node: string): void {
		const entry = menu[node];
		const groups = entry?.depends?.acl ?? [];
		// LuCI's dispatcher hides a node whose depends.acl the session lacks.
		const user = opts.users[s.user]!;
		const ok = entry && groups.every((g) => [...user.read, ...user.write].some((p) => fnmatch(p, g)));
		if (!ok) {
			res.writeHead(403, { 'content-type': 'text/plain' }).end('Access denied');
			return;
		}
		// LuCI's dispatcher marks a node writable as soon as one of its ACL groups is granted for write.
		const readonly = !groups.some((g) => user.write.some((p) => fnmatch(p, g)));
		const env = { sessionid: sid, token: sid, requestpath: node.split('/'), ubuspath: '/ubus/', apply_rollback: opts.rollbackS ?? 90, view: entry.action.path, user: s.user, nodespec: { satisfied: true, readonly }, menu: Object.entries(menu).map(([k, v]) => ({ path: k, title: v.title })) };
		res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(readFileSync(path.join(WWW, 'page.html'), 'utf8').replace('/*ENV*/null', JSON.stringify(env)));
	}

	const server = createServer((req, res) => {
		void (async () => {
			const url = new URL(req.url ?? '/', 'http://x');
			const sid = cookieSid(req) ?? url.searchParams.get('sid') ?? '';
			if (req.method === 'POST' && url.pathname.replace(/\/$/, '') === '/ubus') {
				const rq = JSON.parse(await body(req)) as { id: number; method: string; params: [string, string, string, Record<string, unknown>] };
				const [rsid, object, method, args] = rq.params;
				const r = await ubusCall(rsid, object, method, args ?? {});
				res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: rq.id, result: r[1] === undefined ? [r[0]] : r }));
				return;
			}
			if (req.method === 'POST' && url.pathname === '/cgi-bin/luci/admin/uci/apply_rollback') {
				await body(req);
				// As admin/uci.uc: uci apply with rollback, timeout max(90, luci apply.rollback); a token to confirm with.
				const r = await ubusCall(sid, 'uci', 'apply', { rollback: true, timeout: opts.rollbackS ?? 90 });
				if (r[0] !== UBUS.OK) return void res.writeHead(403).end('Permission denied');
				const token = randomBytes(16).toString('hex');
				rollback!.token = token;
				res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token }));
				return;
			}
			if (req.method === 'POST' && url.pathname === '/cgi-bin/luci/admin/uci/confirm') {
				const token = new URLSearchParams(await body(req)).get('token');
				if (ep.blockConfirm) return void req.socket.destroy();
				if (!rollback) return void res.writeHead(204).end();
				if (token !== rollback.token) return void res.writeHead(403).end('Permission denied');
				const r = await ubusCall(rollback.sid, 'uci', 'confirm');
				res.writeHead(r[0] === UBUS.OK ? 200 : 204).end();
				return;
			}
			if (req.method === 'POST' && url.pathname === '/cgi-bin/luci') {
				const form = new URLSearchParams(await body(req));
				const id = await ep.login(form.get('luci_username') ?? '', form.get('luci_password') ?? '');
				if (!id) return void res.writeHead(403, { 'content-type': 'text/html' }).end(readFileSync(path.join(WWW, 'login.html'), 'utf8').replace('<!--ERR-->', '<p class="alert-message error">Invalid username and/or password!</p>'));
				res.writeHead(302, { 'set-cookie': `sysauth=${id}; path=/`, location: url.searchParams.get('next') ?? '/cgi-bin/luci/admin/status/ha-router' }).end();
				return;
			}
			const m = /^\/cgi-bin\/luci\/(admin\/.+)$/.exec(url.pathname);
			if (m) {
				const s = sessions.get(sid);
				if (!s) return void res.writeHead(200, { 'content-type': 'text/html' }).end(readFileSync(path.join(WWW, 'login.html'), 'utf8'));
				return page(res, sid, s, m[1]!.replace(/\/$/, ''));
			}
			const stat = /^\/luci-static\/resources\/(view\/ha-router\/[a-z-]+\.js|luci\.js)$/.exec(url.pathname);
			if (stat) {
				const file = stat[1] === 'luci.js' ? path.join(WWW, 'luci.js') : path.join(APP, 'htdocs/luci-static/resources', stat[1]!);
				if (existsSync(file)) return void res.writeHead(200, { 'content-type': 'application/javascript' }).end(readFileSync(file));
			}
			res.writeHead(404).end('Not found');
		})().catch((e: unknown) => {
			res.writeHead(500).end(String(e));
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

	const ep: Endpoint = {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		server,
		calls,
		blockConfirm: false,
		async settled() {
			while (pending.length) await pending.shift();
		},
		ubus: ubusCall,
		async login(user, password) {
			const r = await ubusCall(NULL_SID, 'session', 'login', { username: user, password });
			return r[0] === UBUS.OK ? (r[1] as { ubus_rpc_session: string }).ubus_rpc_session : null;
		},
		async close() {
			if (rollback) clearTimeout(rollback.timer);
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
			await ep.settled();
		},
	};
	return ep;
}

/** A copy of a file, used to put a node's config back between test steps. */
export function keep(file: string): () => void {
	const copy = `${file}.keep`;
	copyFileSync(file, copy);
	return () => copyFileSync(copy, file);
}
