// The current text and mode of each UCI file apply edits, as apply and check both read them.
import type { Runtime } from '../runtime/runtime.ts';
import { decodeUtf8 } from '../util/utf8.ts';
import { UCI_PACKAGES, type TargetFacts, type UciTexts } from './targets.ts';

/**
 * `network` as config loading already read it; the others from the config directory. apply stops
 * on a file it cannot read; check (`unreadable: 'absent'`) renders as if it were missing.
 */
export async function readUciTexts(rt: Runtime, configDir: string, network: string | null, unreadable: 'throw' | 'absent' = 'throw'): Promise<Pick<TargetFacts, 'uci' | 'uciModes'>> {
	const uci: Record<string, string | null> = {};
	const uciModes: Record<string, number> = {};
	for (const pkg of UCI_PACKAGES) {
		const path = `${configDir}/${pkg}`;
		if (pkg === 'network') uci[pkg] = network;
		else {
			const raw = await rt.readFile(path).catch((e: unknown) => {
				if (unreadable === 'absent') return null;
				throw e;
			});
			uci[pkg] = raw === null ? null : decodeUtf8(raw);
		}
		const st = await rt.stat(path);
		if (st) uciModes[pkg] = st.mode;
	}
	return { uci: uci as UciTexts, uciModes };
}
