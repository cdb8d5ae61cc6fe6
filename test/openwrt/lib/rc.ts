// rpcd's `rc` object (our own code; contract: openwrt/rpcd rc.c).
//   list {name?}  per init script: start/stop (from its first lines), enabled = an executable
//                 /etc/rc.d/S<NN><name>, running = `<script> running` exits 0 (procd scripts only,
//                 3 s). An unknown name gives {}.
//   init {name, action}  NOT_FOUND when the script is missing, PERMISSION_DENIED when it is not
//                 executable, INVALID_ARGUMENT for a bad name or action; otherwise the script runs
//                 with stdio on /dev/null and the call completes when it exits, status OK whatever
//                 its exit status.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { BlobTable } from '../../../src/system/ubus/blob.ts';
import type { Handler, Reply } from '../../support/ubus-server.ts';

const INVALID_ARGUMENT = 2;
const NOT_FOUND = 4;
const PERMISSION_DENIED = 6;
const ACTIONS = ['disable', 'enable', 'stop', 'start', 'restart', 'reload'];

export interface RcOptions {
	root: string;
	/** Runs `<root>/etc/init.d/<name> <action>` in the node; resolves with its exit code. */
	runScript(script: string, action: string, timeoutMs?: number): Promise<number | null>;
}

/** The header values rc reads from the first lines of a script. */
function header(file: string): { start?: number; stop?: number; procd: boolean } {
	const lines = readFileSync(file, 'utf8').split('\n').slice(0, 12);
	const num = (key: string) => {
		const l = lines.find((x) => x.startsWith(`${key}=`));
		return l === undefined ? undefined : Number.parseInt(l.slice(key.length + 1), 10);
	};
	return { start: num('START'), stop: num('STOP'), procd: (num('USE_PROCD') ?? 0) !== 0 };
}

function check(file: string): number {
	if (!existsSync(file)) return NOT_FOUND;
	const st = statSync(file);
	return (st.mode & 0o100) === 0 || (st.mode & 0o002) !== 0 ? PERMISSION_DENIED : 0;
}

export function rcMethods(opts: RcOptions): Record<string, Handler> {
	const initDir = `${opts.root}/etc/init.d`;
	return {
		async list(a: BlobTable): Promise<Reply> {
			const out: BlobTable = {};
			for (const name of readdirSync(initDir).sort()) {
				if (typeof a.name === 'string' && a.name !== name) continue;
				const file = `${initDir}/${name}`;
				if (check(file) !== 0) continue;
				const h = header(file);
				const entry: BlobTable = {};
				if (h.start !== undefined) entry.start = h.start;
				if (h.stop !== undefined) entry.stop = h.stop;
				const link = h.start === undefined ? '' : `${opts.root}/etc/rc.d/S${String(h.start).padStart(2, '0')}${name}`;
				entry.enabled = link !== '' && existsSync(link) && (statSync(link).mode & 0o100) !== 0;
				if (h.procd && a.skip_running_check !== true) entry.running = (await opts.runScript(file, 'running', 3000)) === 0;
				out[name] = entry;
			}
			return { data: [out] };
		},
		async init(a: BlobTable): Promise<Reply> {
			const { name, action } = a;
			if (typeof name !== 'string' || typeof action !== 'string') return { status: INVALID_ARGUMENT };
			if (name.includes('/') || name.includes('..')) return { status: INVALID_ARGUMENT };
			const file = `${initDir}/${name}`;
			const err = check(file);
			if (err) return { status: err };
			if (!ACTIONS.includes(action)) return { status: INVALID_ARGUMENT };
			await opts.runScript(file, action);
			return {};
		},
	};
}
