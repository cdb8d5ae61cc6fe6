// ubus through the `ubus` program, for a system whose socket we cannot open ourselves.
// `ubus -S call` prints the reply as compact JSON; with stderr not a TTY a failed call exits
// 256 - status, a failed lookup exits with the plain status (reference 2.10).

import type { Runtime } from '../../runtime/runtime.ts';
import type { BlobTable } from './blob.ts';
import { statusName, type UbusStatus } from './message.ts';
import { UbusError } from './ubus-error.ts';
import { DEFAULT_TIMEOUT_MS, type CallOptions, type Ubus } from './ubus.ts';

export interface CliOptions {
	readonly program?: string;
	/** Passed as `-s`; the program's default socket otherwise. */
	readonly socket?: string;
	readonly timeoutMs?: number;
}

/** Status for an exit code of `ubus call`. 254 is both usage and INVALID_ARGUMENT (-2). */
export function cliStatus(code: number | null): UbusStatus {
	if (code === null) return 'UNKNOWN_ERROR';
	if (code === 254) return 'INVALID_ARGUMENT';
	if (code > 242 && code < 256) return statusName(256 - code);
	if (code > 0 && code < 14) return statusName(code);
	return 'UNKNOWN_ERROR';
}

// JSON has no int64: bigints go out as numbers (ubus turns integers beyond int32 into INT64).
const toJson = (args: BlobTable): string => JSON.stringify(args, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));

export function ubusCli(rt: Runtime, opts: CliOptions = {}): Ubus {
	const program = opts.program ?? 'ubus';
	let closed = false;
	return {
		transport: 'ubus cli',
		async call(path: string, method: string, args: BlobTable = {}, o: CallOptions = {}): Promise<BlobTable> {
			const what = `${path} ${method}`;
			if (closed) throw new UbusError('CONNECTION_FAILED', what, 'closed');
			const timeoutMs = o.timeoutMs ?? opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
			const argv = [program, ...(opts.socket ? ['-s', opts.socket] : []), '-S', '-t', String(Math.max(1, Math.ceil(timeoutMs / 1000))), 'call', path, method, toJson(args)];
			let r;
			try {
				r = await rt.spawn(argv, { timeoutMs: timeoutMs + 2000 });
			} catch (e) {
				throw new UbusError('CONNECTION_FAILED', what, `cannot run ${program}: ${(e as Error).message}`);
			}
			if (r.timedOut) throw new UbusError('TIMEOUT', what);
			if (r.code !== 0) throw new UbusError(cliStatus(r.code), what, r.stderr.trim());
			const text = r.stdout.trim();
			if (text === '') return {};
			try {
				const v: unknown = JSON.parse(text);
				if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as BlobTable;
			} catch {
				// reported below
			}
			throw new UbusError('PARSE_ERROR', what, `unexpected output: ${text.slice(0, 200)}`);
		},
		close() {
			closed = true;
		},
	};
}
