import type { DeviceChannel } from '@loa/shared';

/** The device's way up to the server; every publish is best effort and says false when offline. */
export interface Uplink {
  readonly connected: boolean;
  /** Publishes on one of this device's upstream channels; false when offline or refused. */
  publish(channel: DeviceChannel, value: unknown): Promise<boolean>;
  /** Subscribes again to one of the device's own channels, so the broker delivers its retained message again. */
  resubscribe(channel: DeviceChannel): Promise<boolean>;
  /** Follows the alert channels of the areas the timeline now names. */
  refreshAreas(): Promise<void>;
}
