// `uci [-q] [-c confdir] get <config>.<section>[.<option>]`: the one uci command the shell side
// needs (init scripts, ha-router's hotplug script, boot-guard). Sections by name or @type[n];
// a list prints its items space separated, as uci does. Reads only: writes go through files.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseUci } from '../../../src/config/uci-parse.ts';
import type { UciSection } from '../../../src/config/uci-types.ts';

function find(sections: UciSection[], ref: string): UciSection | undefined {
	const m = /^@([^[]+)\[(-?\d+)\]$/.exec(ref);
	if (!m) return sections.find((s) => s.name === ref);
	const ofType = sections.filter((s) => s.type === m[1]);
	const i = Number(m[2]);
	return ofType[i < 0 ? ofType.length + i : i];
}

function get(confDir: string, key: string): string | undefined {
	const [config, ref, option] = key.split('.');
	if (!config || !ref) return undefined;
	let text: string;
	try {
		text = readFileSync(path.join(confDir, config), 'utf8');
	} catch {
		return undefined;
	}
	const section = find(parseUci(text, config).sections, ref);
	if (!section) return undefined;
	if (option === undefined) return section.type;
	return section.options.find((o) => o.name === option)?.values.join(' ');
}

function main(argv: string[]): number {
	let quiet = false;
	let confDir = process.env.UCI_CONFIG_DIR ?? '/etc/config';
	for (;;) {
		if (argv[0] === '-q') {
			quiet = true;
			argv = argv.slice(1);
		} else if (argv[0] === '-c' && argv[1]) {
			confDir = argv[1];
			argv = argv.slice(2);
		} else break;
	}
	if (argv[0] !== 'get' || !argv[1]) {
		process.stderr.write('usage: uci [-q] [-c confdir] get <config>.<section>[.<option>]\n');
		return 1;
	}
	const v = get(confDir, argv[1]);
	if (v === undefined) {
		if (!quiet) process.stderr.write('uci: Entry not found\n');
		return 1;
	}
	process.stdout.write(`${v}\n`);
	return 0;
}

process.exit(main(process.argv.slice(2)));
