// rpcd's `uci` object over ubus. Without a session, changes are staged in /tmp/.uci (as the uci
// CLI does); `commit` writes /etc/config/<config> and emits config.change, which fires procd
// reload triggers (reference openwrt.md 5.5).

import type { BlobTable } from './ubus/blob.ts';
import { UbusError } from './ubus/ubus-error.ts';
import type { Ubus } from './ubus/ubus.ts';

export type UciValues = Readonly<Record<string, string | readonly string[]>>;

export interface UciOverUbus {
	/** The option's value, or null when it (or the section) does not exist. */
	getOption(config: string, section: string, option: string): Promise<string | readonly string[] | null>;
	/** A whole section's options (with `.type`, `.name`), or null. */
	getSection(config: string, section: string): Promise<BlobTable | null>;
	set(config: string, section: string, values: UciValues): Promise<void>;
	/** Adds a section; returns its name (generated when `name` is absent). */
	add(config: string, type: string, name?: string, values?: UciValues): Promise<string>;
	/** Deletes an option, or the whole section without one. */
	delete(config: string, section: string, option?: string): Promise<void>;
	commit(config: string): Promise<void>;
	revert(config: string): Promise<void>;
}

const orNull = <T>(p: Promise<T>): Promise<T | null> => p.catch((e: unknown) => (e instanceof UbusError && e.status === 'NOT_FOUND' ? null : Promise.reject(e)));

export function uciOverUbus(ubus: Ubus): UciOverUbus {
	const values = (v: UciValues): BlobTable => Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === 'string' ? x : [...x]]));
	return {
		async getOption(config, section, option) {
			const r = await orNull(ubus.call('uci', 'get', { config, section, option }));
			const v = r?.value;
			return typeof v === 'string' || Array.isArray(v) ? (v as string | string[]) : null;
		},
		async getSection(config, section) {
			const r = await orNull(ubus.call('uci', 'get', { config, section }));
			const v = r?.values;
			return v && typeof v === 'object' && !Array.isArray(v) ? (v as BlobTable) : null;
		},
		async set(config, section, v) {
			await ubus.call('uci', 'set', { config, section, values: values(v) });
		},
		async add(config, type, name, v) {
			const r = await ubus.call('uci', 'add', { config, type, ...(name ? { name } : {}), ...(v ? { values: values(v) } : {}) });
			return typeof r.section === 'string' ? r.section : (name ?? '');
		},
		async delete(config, section, option) {
			await ubus.call('uci', 'delete', { config, section, ...(option ? { option } : {}) });
		},
		async commit(config) {
			await ubus.call('uci', 'commit', { config });
		},
		async revert(config) {
			await ubus.call('uci', 'revert', { config });
		},
	};
}
