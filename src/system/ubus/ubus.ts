// What callers see of ubus, whichever transport carries it.

import type { BlobTable } from './blob.ts';

export type UbusTransport = 'ubus socket' | 'ubus cli';

export interface CallOptions {
	/** Whole call including the object lookup; default from the connection (30 s, as `ubus`). */
	readonly timeoutMs?: number;
}

export interface Ubus {
	readonly transport: UbusTransport;
	/**
	 * Invokes `method` on the object at `path`. Resolves to the reply: every DATA message merged into
	 * one table ({} when there was none). Rejects with a UbusError named by the status.
	 */
	call(path: string, method: string, args?: BlobTable, opts?: CallOptions): Promise<BlobTable>;
	/** Closes the socket (never shutdown(): that ends a tjs 24.12 process). Pending calls fail. */
	close(): void;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
