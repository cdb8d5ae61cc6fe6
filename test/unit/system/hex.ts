// Byte vectors written as in reference/runtime-protocols.md: hex groups and "quoted strings"
// (with \0 for NUL), separated by spaces or `|`.
export function hx(text: string): Uint8Array {
	const out: number[] = [];
	const re = /"((?:[^"\\]|\\.)*)"|([0-9a-fA-F]+)|[\s|]+/g;
	let m: RegExpExecArray | null;
	let pos = 0;
	while ((m = re.exec(text))) {
		if (m.index !== pos) throw new Error(`bad vector text at ${pos}: ${text.slice(pos, pos + 10)}`);
		pos = re.lastIndex;
		if (m[1] !== undefined) {
			for (const ch of m[1].replace(/\\0/g, '\0')) out.push(ch.charCodeAt(0));
		} else if (m[2] !== undefined) {
			if (m[2].length % 2) throw new Error(`odd hex group ${m[2]}`);
			for (let i = 0; i < m[2].length; i += 2) out.push(parseInt(m[2].slice(i, i + 2), 16));
		}
	}
	if (pos !== text.length) throw new Error(`bad vector text at ${pos}`);
	return new Uint8Array(out);
}

export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
