// Picks the ubus transport: the socket (new path, then the pre-20.xx one), else the `ubus` program.

import type { Runtime } from '../../runtime/runtime.ts';
import { findProgram } from '../find-program.ts';
import { ubusCli } from './cli-client.ts';
import { openUbusSocket } from './socket-client.ts';
import { UbusError } from './ubus-error.ts';
import type { Ubus } from './ubus.ts';

export const UBUS_SOCKETS = ['/var/run/ubus/ubus.sock', '/var/run/ubus.sock'] as const;

export interface UbusOptions {
	/** Default per-call timeout (30 s). */
	readonly timeoutMs?: number;
	/** 'auto' (default): socket, falling back to the program when no socket can be opened. */
	readonly transport?: 'auto' | 'socket' | 'cli';
	/** The ubus program for the fallback; looked up in PATH. */
	readonly program?: string;
}

export async function connectUbus(rt: Runtime, path?: string, opts: UbusOptions = {}): Promise<Ubus> {
	const transport = opts.transport ?? 'auto';
	const program = opts.program ?? 'ubus';
	const cli = () => ubusCli(rt, { program, ...(path ? { socket: path } : {}), ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) });
	if (transport === 'cli') return cli();
	const errors: string[] = [];
	for (const p of path ? [path] : UBUS_SOCKETS) {
		let ubus: Ubus;
		try {
			ubus = await openUbusSocket(rt, p, opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {});
		} catch (e) {
			// Only a socket we could not open moves on; a socket that answered garbage is an error.
			if (e instanceof UbusError) throw e;
			errors.push(`${p}: ${(e as { code?: string }).code ?? (e as Error).message}`);
			continue;
		}
		return ubus;
	}
	if (transport === 'auto' && (await findProgram(rt, program))) return cli();
	throw new UbusError('CONNECTION_FAILED', 'connect', `${errors.join(', ')}${transport === 'auto' ? `; no ${program} program` : ''}`);
}
