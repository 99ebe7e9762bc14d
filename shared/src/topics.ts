import { deviceIdSchema, areaCodeSchema, type DeviceId } from './ids.js';
import { TOPIC_ROOT } from './version.js';

export type Direction = 'up' | 'down';

export interface ChannelSpec {
  /** up: device → server; down: server → device. */
  readonly direction: Direction;
  readonly qos: 0 | 1;
  readonly retain: boolean;
  readonly description: string;
}

/**
 * Every per-device channel. The broker's ACL is derived from this table, so adding a channel here is the
 * only way to let a device use it.
 */
export const DEVICE_CHANNELS = {
  status: { direction: 'up', qos: 1, retain: true, description: 'online/offline presence; also the last will' },
  telemetry: { direction: 'up', qos: 0, retain: false, description: 'periodic health sample' },
  events: { direction: 'up', qos: 1, retain: false, description: 'batch of playback reports from the outbox' },
  'events/ack': { direction: 'down', qos: 1, retain: false, description: 'ids of reports committed by the server' },
  timeline: { direction: 'down', qos: 1, retain: true, description: 'the full versioned timeline of the device' },
  'timeline/patch': {
    direction: 'down',
    qos: 1,
    retain: false,
    description: 'each new timeline version live: a patch of the previous one, or the whole timeline where that is smaller',
  },
  'timeline/ack': { direction: 'up', qos: 1, retain: false, description: 'timeline version stored by the agent' },
  req: { direction: 'down', qos: 1, retain: false, description: 'signed remote command with id and expiry' },
  res: { direction: 'up', qos: 1, retain: false, description: 'result of a remote command' },
  security: { direction: 'up', qos: 1, retain: false, description: 'a server message the agent rejected (unsigned, forged, expired, replayed)' },
  ota: { direction: 'up', qos: 1, retain: false, description: 'progress of an agent update (downloading, installed, healthy, rolled back…), resent after reconnect until it ends' },
} as const satisfies Record<string, ChannelSpec>;

export type DeviceChannel = keyof typeof DEVICE_CHANNELS;

/**
 * The channels a device subscribes to: exactly the downstream ones of DEVICE_CHANNELS (topics.spec pins that), in
 * the order the agent subscribes (its timeline first, so a reconnecting device gets its retained plan at once).
 * Of the two timeline channels a device follows the one TIMELINE_CHANNELS_FOR says.
 */
export const DOWNSTREAM_DEVICE_CHANNELS = ['timeline', 'timeline/patch', 'events/ack', 'req'] as const satisfies readonly DeviceChannel[];

export const TIMELINE_CHANNELS = ['timeline', 'timeline/patch'] as const satisfies readonly DeviceChannel[];
export type TimelineChannel = (typeof TIMELINE_CHANNELS)[number];

/**
 * Which timeline channels a device follows. The retained `timeline` holds the whole current timeline (the source of
 * truth); every new version is also sent live on `timeline/patch`, as a patch of the version before it when that is
 * smaller. So a device that holds a timeline follows only `timeline/patch`, and subscribes to `timeline` (its
 * retained copy arrives at once) only while it holds nothing or after a patch it could not apply; a device that
 * holds nothing follows only `timeline`, since a patch is of no use to it.
 */
export function timelineChannelsFor(holds: boolean, wantsFull: boolean): readonly TimelineChannel[] {
  if (!holds) return ['timeline'];
  return wantsFull ? ['timeline', 'timeline/patch'] : ['timeline/patch'];
}

/**
 * Per-area channels: one publish reaches every device of an area subtree, because each device subscribes to the
 * channels of its own area and of every ancestor (province → … → its unit).
 */
export const AREA_CHANNELS = {
  alert: { direction: 'down', qos: 1, retain: true, description: 'emergency alert or its cancellation, retained until it expires' },
} as const satisfies Record<string, ChannelSpec>;

export type AreaChannel = keyof typeof AREA_CHANNELS;
const CHANNEL_NAMES = new Set<string>(Object.keys(DEVICE_CHANNELS));
export const isDeviceChannel = (s: string): s is DeviceChannel => CHANNEL_NAMES.has(s);

const DEVICE_PREFIX = `${TOPIC_ROOT}/d/`;
const AREA_PREFIX = `${TOPIC_ROOT}/a/`;

export const deviceTopic = (deviceId: DeviceId, channel: DeviceChannel): string => `${DEVICE_PREFIX}${deviceId}/${channel}`;

/** Subscription pattern matching one channel of every device (server side). */
export const allDevicesTopic = (channel: DeviceChannel): string => `${DEVICE_PREFIX}+/${channel}`;

export const areaTopic = (areaCode: string, channel: AreaChannel): string => `${AREA_PREFIX}${areaCode}/${channel}`;

export interface ParsedDeviceTopic {
  readonly deviceId: DeviceId;
  readonly channel: DeviceChannel;
}

/** Returns null for anything that is not exactly a known per-device topic (wildcards included). */
export function parseDeviceTopic(topic: string): ParsedDeviceTopic | null {
  if (!topic.startsWith(DEVICE_PREFIX)) return null;
  const rest = topic.slice(DEVICE_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return null;
  const deviceId = rest.slice(0, slash);
  const channel = rest.slice(slash + 1);
  if (!deviceIdSchema.safeParse(deviceId).success || !isDeviceChannel(channel)) return null;
  return { deviceId, channel };
}

export function parseAreaTopic(topic: string): { areaCode: string; channel: AreaChannel } | null {
  if (!topic.startsWith(AREA_PREFIX)) return null;
  const [code, channel, ...extra] = topic.slice(AREA_PREFIX.length).split('/');
  if (extra.length > 0 || channel !== 'alert' || !code || !areaCodeSchema.safeParse(code).success) return null;
  return { areaCode: code, channel };
}

/** May this device publish on this topic? Only on its own upstream channels. */
export function mayDevicePublish(deviceId: string, topic: string): boolean {
  const parsed = parseDeviceTopic(topic);
  return parsed !== null && parsed.deviceId === deviceId && DEVICE_CHANNELS[parsed.channel].direction === 'up';
}

/**
 * May this device subscribe to this filter? Only to its own downstream channels and to the area channels of the
 * areas it belongs to (its unit and ancestors), never to wildcards.
 */
export function mayDeviceSubscribe(deviceId: string, filter: string, areaCodes: ReadonlySet<string> = new Set()): boolean {
  const parsed = parseDeviceTopic(filter);
  if (parsed) return parsed.deviceId === deviceId && DEVICE_CHANNELS[parsed.channel].direction === 'down';
  const area = parseAreaTopic(filter);
  return area !== null && areaCodes.has(area.areaCode);
}
