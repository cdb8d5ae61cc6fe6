// loadConfig hands apply the network text it validated; that text must give back the file's bytes.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.ts';
import { encodeUtf8 } from '../../../src/util/utf8.ts';
import { nodeRuntime, tempDir } from '../../support/node-runtime.ts';

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, '../apply/fixtures', name));
let dir: string;

beforeEach(async () => {
	dir = await tempDir();
	mkdirSync(dir, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('reads a network file with latin-1 bytes as text that encodes back to the same bytes', async () => {
	const network = Buffer.concat([Buffer.from("# r\xe9seau \xff\nconfig misc 'm'\n\toption note 'caf\xe9'\n\n", 'latin1'), fixture('network')]);
	writeFileSync(`${dir}/network`, network);
	writeFileSync(`${dir}/ha-router`, fixture('ha-router'));
	const loaded = await loadConfig(nodeRuntime(), dir);
	expect(Buffer.from(encodeUtf8(loaded.texts.network!)).equals(network)).toBe(true);
	expect(loaded.issues.filter((i) => i.code === 'UCI_SYNTAX')).toEqual([]);
});

it('reports a NUL byte in the network file as a syntax error at its line', async () => {
	writeFileSync(`${dir}/network`, Buffer.concat([fixture('network'), Buffer.from("config misc 'm'\n\toption note 'a\0b'\n")]));
	writeFileSync(`${dir}/ha-router`, fixture('ha-router'));
	const loaded = await loadConfig(nodeRuntime(), dir);
	const lines = fixture('network').toString().split('\n').length;
	expect(loaded.issues.filter((i) => i.code === 'UCI_SYNTAX').map((i) => [i.at.file, i.at.line, i.message])).toEqual([
		[`${dir}/network`, lines + 1, 'column 16: parse error: NUL byte: libuci stops reading the line there; remove it'],
	]);
});
