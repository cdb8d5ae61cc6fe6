// A failed ubus call, named by its ubus status so callers can branch on `status === 'NOT_FOUND'`.

import { SystemError } from '../../errors.ts';
import { STATUS_NAMES, type UbusStatus } from './message.ts';

export class UbusError extends SystemError {
	constructor(
		readonly status: UbusStatus,
		what: string,
		detail = '',
	) {
		super('ubus', `${what}: ${status}${detail ? ` (${detail})` : ''}`, STATUS_NAMES.indexOf(status), detail);
	}
}
