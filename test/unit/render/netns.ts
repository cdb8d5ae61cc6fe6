// Throwaway network namespaces (prefix hr5-) for checking rendered files with the real tools.

import { spawnSync } from 'node:child_process';

export interface Run {
	code: number | null;
	stdout: string;
	stderr: string;
}

export function run(argv: readonly string[], input?: string): Run {
	const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', input, timeout: 15_000 });
	return { code: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

function must(argv: readonly string[]): void {
	const r = run(argv);
	if (r.code !== 0) throw new Error(`${argv.join(' ')}: exit ${r.code}: ${r.stderr}`);
}

export function haveTools(names: readonly string[]): boolean {
	if (process.getuid?.() !== 0) return false;
	return names.every((n) => run(['sh', '-c', `command -v ${n}`]).code === 0);
}

/** A fresh namespace with loopback up; `fn` runs inside try, the namespace is deleted in finally. */
export async function withNetns<T>(name: string, fn: (ns: Netns) => Promise<T> | T): Promise<T> {
	if (!name.startsWith('hr5-')) throw new Error('namespace names start with hr5-');
	run(['ip', 'netns', 'del', name]);
	must(['ip', 'netns', 'add', name]);
	try {
		const ns = new Netns(name);
		must(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
		return await fn(ns);
	} finally {
		run(['ip', 'netns', 'del', name]);
	}
}

export class Netns {
	private peers = 0;
	constructor(readonly name: string) {}

	/** A veth whose end `device` is up in this namespace (the other end, up too, is returned). */
	device(device: string): string {
		const peer = `hr5p${this.peers++}`;
		must(['ip', '-n', this.name, 'link', 'add', device, 'type', 'veth', 'peer', 'name', peer]);
		must(['ip', '-n', this.name, 'link', 'set', device, 'up']);
		must(['ip', '-n', this.name, 'link', 'set', peer, 'up']);
		return peer;
	}

	address(device: string, cidr: string): void {
		const v6 = cidr.includes(':');
		must(['ip', '-n', this.name, 'addr', 'replace', cidr, 'dev', device, ...(v6 ? ['nodad'] : [])]);
	}

	exec(argv: readonly string[]): Run {
		return run(['ip', 'netns', 'exec', this.name, ...argv]);
	}
}
