// procd's `service` object (our own code; contract: openwrt/procd service/service.c, instance.c):
// a registry of services, each with instances that are real processes in the node's namespace,
// supervised and respawned; config.change triggers that run `<script> reload`.
//   set   replaces the service's instances: an unchanged instance keeps running, a changed one is
//         restarted, a missing one stopped. `add` only adds/updates. No instances: none run.
//   list  {"<name>": {instances?: {...}}}; a service without instances is {"<name>":{}}; an
//         unknown name gives {}.
//   delete / signal   NOT_FOUND for an unknown service; signal with no instance does nothing.
// Simplification: delete answers once its instances have exited (procd answers at once).
import { openSync, closeSync, mkdirSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import type { BlobTable, BlobValue } from '../../../src/system/ubus/blob.ts';
import type { Handler, Reply } from '../../support/ubus-server.ts';
import { spawnIn } from './spawn-in.ts';

const NOT_FOUND = 4;
const INVALID_ARGUMENT = 2;
const TERM_TIMEOUT_MS = 5000;

interface Instance {
	name: string;
	command: string[];
	respawn?: { threshold: number; timeout: number; retry: number };
	proc?: ChildProcess;
	exitCode?: number;
	/** Set when procd itself stops it: no respawn then. */
	stopping: boolean;
	crashes: number;
	respawnTimer?: ReturnType<typeof setTimeout>;
}

interface Service {
	name: string;
	script?: string;
	instances: Map<string, Instance>;
	/** config.change package -> [script, action] to run, with procd's delay. */
	reloadOn: Map<string, { argv: string[]; delayMs: number }>;
}

export interface ProcdOptions {
	ns: string;
	root: string;
	/** Runs an init script action (the trigger's run_script), as rc does. */
	runScript(script: string, action: string): Promise<void>;
}

const strings = (v: BlobValue | undefined): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const table = (v: BlobValue | undefined): BlobTable | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as BlobTable) : undefined);

/** Packages and actions of procd_add_reload_trigger's ["config.change", ["if", ["eq","package",P], ["run_script", ...]], delay]. */
function reloadTriggers(v: BlobValue | undefined): Map<string, { argv: string[]; delayMs: number }> {
	const out = new Map<string, { argv: string[]; delayMs: number }>();
	for (const t of Array.isArray(v) ? v : []) {
		if (!Array.isArray(t) || t[0] !== 'config.change' || !Array.isArray(t[1])) continue;
		const [, cond, action] = t[1] as BlobValue[];
		const pkg = Array.isArray(cond) && cond[0] === 'eq' && cond[1] === 'package' ? cond[2] : undefined;
		const run = strings(action);
		if (typeof pkg === 'string' && run[0] === 'run_script') out.set(pkg, { argv: run.slice(1), delayMs: typeof t[2] === 'number' ? t[2] : 1000 });
	}
	return out;
}

/** One instance start (first start or respawn), for tests that ask what ever ran. */
export interface InstanceStart {
	service: string;
	instance: string;
	command: string[];
	at: number;
}

export class Procd {
	readonly services = new Map<string, Service>();
	/** Every instance start since this procd started, in order (a service deleted later stays here). */
	readonly starts: InstanceStart[] = [];
	private pendingTriggers = new Map<string, ReturnType<typeof setTimeout>>();
	private closed = false;

	constructor(private readonly opts: ProcdOptions) {}

	methods(): Record<string, Handler> {
		return {
			set: (a) => this.set(a, false),
			add: (a) => this.set(a, true),
			list: (a) => this.list(a),
			delete: (a) => this.delete(a),
			signal: (a) => this.signal(a),
			event: (a) => this.event(a),
		};
	}

	private set(a: BlobTable, add: boolean): Reply {
		if (typeof a.name !== 'string') return { status: INVALID_ARGUMENT };
		let s = this.services.get(a.name);
		if (!s) {
			s = { name: a.name, instances: new Map(), reloadOn: new Map() };
			this.services.set(a.name, s);
		}
		if (typeof a.script === 'string') s.script = a.script;
		s.reloadOn = reloadTriggers(a.triggers);
		const wanted = table(a.instances);
		if (wanted) {
			const keep = new Set<string>();
			for (const [name, def] of Object.entries(wanted)) {
				const d = table(def);
				const command = strings(d?.command);
				if (command.length === 0) continue;
				keep.add(name);
				const r = strings(d?.respawn).map(Number);
				const respawn = d?.respawn === undefined ? undefined : { threshold: r[0] ?? 3600, timeout: r[1] ?? 5, retry: r[2] ?? 5 };
				const old = s.instances.get(name);
				if (old && JSON.stringify(old.command) === JSON.stringify(command) && old.proc) {
					old.respawn = respawn;
					continue;
				}
				if (old) void this.stopInstance(old);
				const inst: Instance = { name, command, respawn, stopping: false, crashes: 0 };
				s.instances.set(name, inst);
				this.startInstance(s, inst);
			}
			if (!add) {
				for (const [name, inst] of s.instances) {
					if (keep.has(name)) continue;
					s.instances.delete(name);
					void this.stopInstance(inst);
				}
			}
		}
		return {};
	}

	private list(a: BlobTable): Reply {
		const out: BlobTable = {};
		for (const s of this.services.values()) {
			if (typeof a.name === 'string' && a.name !== s.name) continue;
			const entry: BlobTable = {};
			if (s.instances.size > 0) {
				const instances: BlobTable = {};
				for (const i of s.instances.values()) instances[i.name] = this.dump(i);
				entry.instances = instances;
			}
			out[s.name] = entry;
		}
		return { data: [out] };
	}

	private dump(i: Instance): BlobTable {
		const running = i.proc !== undefined && i.proc.exitCode === null && i.proc.signalCode === null;
		const d: BlobTable = { running };
		if (running && i.proc?.pid !== undefined) d.pid = i.proc.pid;
		d.command = i.command;
		d.term_timeout = TERM_TIMEOUT_MS / 1000;
		if (!running && i.exitCode !== undefined) d.exit_code = i.exitCode;
		if (i.respawn) d.respawn = { ...i.respawn };
		return d;
	}

	private async delete(a: BlobTable): Promise<Reply> {
		const s = typeof a.name === 'string' ? this.services.get(a.name) : undefined;
		if (!s) return { status: NOT_FOUND };
		if (typeof a.instance === 'string') {
			const i = s.instances.get(a.instance);
			if (!i) return { status: NOT_FOUND };
			s.instances.delete(a.instance);
			await this.stopInstance(i);
			return {};
		}
		this.services.delete(s.name);
		await Promise.all([...s.instances.values()].map((i) => this.stopInstance(i)));
		return {};
	}

	private signal(a: BlobTable): Reply {
		const s = typeof a.name === 'string' ? this.services.get(a.name) : undefined;
		if (!s) return { status: NOT_FOUND };
		const sig = typeof a.signal === 'number' ? a.signal : 1;
		const targets = typeof a.instance === 'string' ? [s.instances.get(a.instance)] : [...s.instances.values()];
		if (targets[0] === undefined && typeof a.instance === 'string') return { status: NOT_FOUND };
		for (const i of targets) {
			const pid = i?.proc?.pid;
			if (pid !== undefined && i?.proc?.exitCode === null) {
				try {
					process.kill(pid, sig);
				} catch {
					// exited meanwhile
				}
			}
		}
		return {};
	}

	/** config.change {package}: every service with a reload trigger on it runs `<script> reload` after the delay. */
	private event(a: BlobTable): Reply {
		const data = table(a.data);
		if (typeof a.type !== 'string' || !data) return { status: INVALID_ARGUMENT };
		if (a.type !== 'config.change' || typeof data.package !== 'string') return {};
		for (const s of this.services.values()) {
			const t = s.reloadOn.get(data.package);
			if (!t || this.closed) continue;
			clearTimeout(this.pendingTriggers.get(s.name));
			this.pendingTriggers.set(
				s.name,
				setTimeout(() => {
					this.pendingTriggers.delete(s.name);
					const [script, action] = t.argv;
					if (script && action && !this.closed) void this.opts.runScript(script, action);
				}, t.delayMs),
			);
		}
		return {};
	}

	private startInstance(s: Service, i: Instance): void {
		if (this.closed) return;
		mkdirSync(`${this.opts.root}/var/log`, { recursive: true });
		const log = openSync(`${this.opts.root}/var/log/${s.name}.${i.name}.log`, 'a');
		const proc = spawnIn(this.opts.ns, i.command, { stdio: ['ignore', log, log] });
		closeSync(log);
		this.starts.push({ service: s.name, instance: i.name, command: i.command, at: Date.now() });
		i.proc = proc;
		const started = Date.now();
		proc.on('error', () => {});
		proc.on('exit', (code, signal) => {
			i.exitCode = code ?? (signal ? 128 : 0);
			if (i.stopping || this.closed || !i.respawn || s.instances.get(i.name) !== i) return;
			// procd: a crash within `threshold` seconds counts; after `retry` of them it gives up.
			if (Date.now() - started < i.respawn.threshold * 1000) i.crashes++;
			if (i.respawn.retry > 0 && i.crashes > i.respawn.retry) return;
			i.respawnTimer = setTimeout(() => this.startInstance(s, i), i.respawn.timeout * 1000);
		});
	}

	private stopInstance(i: Instance): Promise<void> {
		i.stopping = true;
		clearTimeout(i.respawnTimer);
		const p = i.proc;
		if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
		return new Promise((resolve) => {
			const kill = setTimeout(() => p.kill('SIGKILL'), TERM_TIMEOUT_MS);
			p.once('exit', () => {
				clearTimeout(kill);
				resolve();
			});
			p.kill('SIGTERM');
		});
	}

	/** Stops every instance and every pending trigger (procd's shutdown). */
	async close(): Promise<void> {
		this.closed = true;
		for (const t of this.pendingTriggers.values()) clearTimeout(t);
		const all = [...this.services.values()].flatMap((s) => [...s.instances.values()]);
		this.services.clear();
		await Promise.all(all.map((i) => this.stopInstance(i)));
	}
}
