// Init script names, checked with the rule config validation uses: a name, never a path. This is
// an assertion at the seam; `check` refuses such a name first.

import { SystemError } from '../errors.ts';
import { validServiceName } from '../model/value-rules.ts';

export function checkServiceName(name: string): void {
	if (!validServiceName(name)) throw new SystemError('service', `invalid service name ${JSON.stringify(name)}`);
}
