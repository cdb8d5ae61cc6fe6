// The arguments rpcd hands an exec plugin's method: one JSON object on stdin, which the plugin
// (files/usr/libexec/rpcd/ha-router) passes on as `--ubus-args JSON`. A call through a LuCI/rpcd
// session also carries `ubus_rpc_session` (uhttpd-mod-ubus adds it to every call): it is not an
// argument of ours and is dropped here.
import { UsageError } from '../errors.ts';

export type UbusArgType = 'boolean' | 'number' | 'string';

/** Each accepted argument and its JSON type; anything else is a usage error (exit 2). */
export function parseUbusArgs(command: string, json: string, spec: Readonly<Record<string, UbusArgType>>): Record<string, boolean | number | string> {
	let o: unknown;
	try {
		o = JSON.parse(json || '{}');
	} catch {
		throw new UsageError(`${command}: the ubus arguments are not JSON`);
	}
	if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new UsageError(`${command}: the ubus arguments are not an object`);
	const valid = Object.keys(spec).join(', ') || 'none';
	const out: Record<string, boolean | number | string> = {};
	for (const [k, v] of Object.entries(o)) {
		if (k === 'ubus_rpc_session') continue;
		if (!Object.hasOwn(spec, k)) throw new UsageError(`${command}: unknown ubus argument '${k}' (valid: ${valid})`);
		if (typeof v !== spec[k]) throw new UsageError(`${command}: ubus argument '${k}' must be a ${spec[k]} (valid: ${valid})`);
		out[k] = v as boolean | number | string;
	}
	return out;
}
