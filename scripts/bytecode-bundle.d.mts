// Types of scripts/bytecode-bundle.mjs, for the tests that import it.
export function compileBytecode(tjs: string, source: string): { bytecode: Buffer; quickjs: string };
export function bytecodeBundle(parts: { header: string; source: string; bytecode: Uint8Array; quickjs: string }): Buffer;
