// Fleet simulator: many virtual devices speaking the real protocol, for load tests, benchmarks and demos. It lives
// beside the tests, not in the device agent: a real device never ships it.
export { Fleet, type FleetEvents } from './fleet.js';
export { ForkedFleet, createFleet, type PortableFleetOptions } from './forked-fleet.js';
export { sampleTree, placeName, type SampleArea, type SampleDevice, type SampleTreeOptions, type AreaLevel } from './area-tree.js';
export { provision, writeCredentials, LoaApi, ApiError, type ProvisionOptions } from './provision.js';
export { simulateMain, provisionMain, parseLatency, SIMULATE_USAGE, PROVISION_USAGE, type SimIo } from './cli.js';
export {
  credentialsFileSchema,
  simDeviceSpecSchema,
  emptyStats,
  mergeStats,
  type CredentialsFile,
  type SimDeviceSpec,
  type FleetOptions,
  type FleetStats,
  type FleetControl,
  type InjectEventsOptions,
  type SimDeviceView,
} from './types.js';
