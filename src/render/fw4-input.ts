// The rules fw4 includes at the top of its `input` chain (position chain-pre): they accept VRRP and
// conntrackd sync from the peer before fw4's zone rules or input policy can reject them. Our own
// table drops the same traffic from anyone else (see admission.ts).

import type { Model } from '../model/types.ts';
import { HEADER } from './text.ts';
import { admissionRules } from './admission.ts';

export function renderFw4Input(model: Model): string {
	return [`# ${HEADER}`, '# fw4 includes this at the start of chain input (chain-pre).', ...admissionRules(model), ''].join('\n');
}
