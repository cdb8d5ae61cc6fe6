// Entry point of the bundle: `ha-router <command> ...` on txiki.js.
import { tjsRuntime } from './runtime/tjs.ts';
import { COMMANDS } from './cli/commands.ts';
import { dispatch } from './cli/dispatch.ts';

const code = await dispatch(tjsRuntime, tjsRuntime.args, COMMANDS);
await tjsRuntime.flushLogs();
tjsRuntime.exit(code);
