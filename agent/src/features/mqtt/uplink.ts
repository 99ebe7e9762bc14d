import type { DeviceChannel, TimelineChannel } from '@loa/shared';

/**
 * Which timeline channels the device follows (timelineChannelsFor), asked at each connect with whether the broker
 * kept the device's session, and again on refreshTimelineChannels (then without it).
 */
export type TimelineChannelChooser = (sessionPresent?: boolean) => readonly TimelineChannel[];

/** The device's way up to the server; every publish is best effort and says false when offline. */
export interface Uplink {
  readonly connected: boolean;
  /** Publishes on one of this device's upstream channels; false when offline or refused. */
  publish(channel: DeviceChannel, value: unknown): Promise<boolean>;
  /** Subscribes again to one of the device's own channels, so the broker delivers its retained message again. */
  resubscribe(channel: DeviceChannel): Promise<boolean>;
  /** Follows the alert channels of the areas the timeline now names. */
  refreshAreas(): Promise<void>;
  /** Who decides which timeline channels to follow (the timeline feature); until set, only `timeline`. */
  chooseTimelineChannels(choose: TimelineChannelChooser): void;
  /** Asks the chooser again and subscribes and unsubscribes to match, new channels first (nothing falls in between). */
  refreshTimelineChannels(): Promise<void>;
}
