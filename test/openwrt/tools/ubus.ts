// `ubus [-s socket] call <path> <method> [json]` for the shell side of the stand-in (procd.sh,
// tests): speaks the real protocol through the project's socket client, prints the reply as
// compact JSON, exits with the ubus status number on failure.
import { nodeRuntime } from '../../support/node-runtime.ts';
import { openUbusSocket } from '../../../src/system/ubus/socket-client.ts';
import { UbusError } from '../../../src/system/ubus/ubus-error.ts';
import { STATUS_NAMES } from '../../../src/system/ubus/message.ts';
import type { BlobTable } from '../../../src/system/ubus/blob.ts';

async function main(argv: string[]): Promise<number> {
	let socket = '/var/run/ubus/ubus.sock';
	if (argv[0] === '-s') {
		socket = argv[1] ?? socket;
		argv = argv.slice(2);
	}
	const [cmd, path, method, json] = argv;
	if (cmd !== 'call' || !path || !method) {
		process.stderr.write('usage: ubus [-s socket] call <path> <method> [json]\n');
		return 2;
	}
	const ubus = await openUbusSocket(nodeRuntime(), socket, { timeoutMs: 120_000 });
	try {
		const reply = await ubus.call(path, method, json ? (JSON.parse(json) as BlobTable) : {});
		if (Object.keys(reply).length > 0) process.stdout.write(`${JSON.stringify(reply, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}\n`);
		return 0;
	} catch (e) {
		if (!(e instanceof UbusError)) throw e;
		process.stderr.write(`Command failed: ${e.status}\n`);
		return STATUS_NAMES.indexOf(e.status);
	} finally {
		ubus.close();
	}
}

main(process.argv.slice(2)).then(
	(code) => process.exit(code),
	(e: unknown) => {
		process.stderr.write(`ubus: ${(e as Error).message}\n`);
		process.exit(1);
	},
);
