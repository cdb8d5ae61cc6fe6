// Names shared by the renderers and the planner.
import { deviceSectionName } from './value-rules.ts';

/** keepalived vrrp_sync_group that holds every instance when there are several. */
export const SYNC_GROUP_NAME = 'ha_router';

/**
 * The netifd interface (proto none, auto) that keeps the shared-MAC device claimed, so it exists
 * and is up on both nodes while the DHCP interface goes up and down with the role.
 */
export function wanHoldInterface(device: string): string {
	return `${deviceSectionName(device)}_hold`;
}
