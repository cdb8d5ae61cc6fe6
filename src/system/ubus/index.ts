// ubus client: `const ubus = await connectUbus(rt); await ubus.call('network.interface.wan', 'status')`.
export type { BlobTable, BlobValue } from './blob.ts';
export { connectUbus, UBUS_SOCKETS, type UbusOptions } from './connect.ts';
export type { UbusStatus } from './message.ts';
export { UbusError } from './ubus-error.ts';
export type { CallOptions, Ubus, UbusTransport } from './ubus.ts';
