// Init script names, checked as rpcd's `rc` does: a name, never a path.

import { SystemError } from '../errors.ts';

export function checkServiceName(name: string): void {
	if (name === '' || name.includes('/') || name === '.' || name === '..') throw new SystemError('service', `invalid service name '${name}'`);
}
