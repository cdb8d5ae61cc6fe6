// Runs on tjs (bundled by config-parse.mjs): parse + validate a generated network file and print
// the times. Arguments: <dir with ha-router and network> <iterations>.
import { buildModel } from '../../src/config/build-model.ts';
import { parseUci } from '../../src/config/uci-parse.ts';
import { decodeUtf8 } from '../../src/util/utf8.ts';

const [dir, n = '20'] = tjs.args.slice(tjs.args.indexOf('--') + 1);
const read = async (f: string) => decodeUtf8(await tjs.readFile(`${dir}/${f}`));
const t0 = performance.now();
const network = await read('network');
const haRouter = await read('ha-router');
const tRead = performance.now() - t0;

const time = (fn: () => void) => {
	const s = performance.now();
	fn();
	return performance.now() - s;
};
const files = { haRouter: { path: 'ha-router', text: haRouter }, network: { path: 'network', text: network } };
const cold = time(() => buildModel(files));
const parse: number[] = [];
const full: number[] = [];
let valid = false;
for (let i = 0; i < Number(n); i++) {
	parse.push(time(() => parseUci(network, 'network')));
	full.push(
		time(() => {
			valid = buildModel(files).model !== null;
		}),
	);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const lines = network.split('\n').length;
console.log(
	JSON.stringify({
		lines,
		bytes: network.length,
		readDecodeMs: +tRead.toFixed(2),
		coldParseValidateMs: +cold.toFixed(2),
		medianParseMs: +median(parse).toFixed(2),
		medianParseValidateMs: +median(full).toFixed(2),
		iterations: Number(n),
		valid,
	}),
);
