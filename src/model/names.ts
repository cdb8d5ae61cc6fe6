// Names shared by the renderers and the planner.

/** keepalived vrrp_sync_group that holds every instance when there are several. */
export const SYNC_GROUP_NAME = 'ha_router';
