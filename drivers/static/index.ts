// The static driver's ZooKeeper side (issue 13): registering configured hosts as READY slots.
export { syncStaticNodes, type SyncOptions, type SyncReport, type SlotRef, type Skipped } from './registrar';
export { StaticSlots } from './slots-service';
export { scanHost } from './scan';
export { refillSlot, reregisterUsedSlot, type ReregisterOptions, type ReregisterResult } from './reregister';
export { checkHost, gathersHostKeys, type HostScanner, type HostCheck } from './host-check';
export { resolvePublicIp, type HostResolver, type PublicIp } from './resolve';
export { staticNodeFields, STATIC_LAUNCHER } from './node-fields';
export { deregisterNode, readProviderNodes } from './registered';
export { slotTable, hostKeyOf, nodeHostKey } from './slots';
