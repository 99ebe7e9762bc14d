import type { AlertMessage } from '@loa/shared';

/** One remote command to one device; `command` is the command's JSON as stored (it is sent verbatim). */
export interface CommandSend {
  readonly commandId: string;
  readonly deviceId: string;
  /** Strictly later than any earlier send of this command to this device: the agent tells resends from replays by it. */
  readonly sentAt: number;
  readonly expiresAt: number;
  readonly command: string;
}

/**
 * Everything the server says to devices. It alone turns a domain message into MQTT: the topic (from `@loa/shared`),
 * QoS and retain (from the shared channel table), the encoding and the Ed25519 signature agents verify. Services
 * say what to tell which device or area and never see a topic, a flag or a signature.
 */
export abstract class DeviceGateway {
  /**
   * A device's compiled timeline, stored as JSON text (sent byte for byte): retained on `timeline`, so a device
   * (re)subscribing gets it, and live on `timeline/patch`, where a device that holds a timeline listens.
   */
  abstract publishTimeline(deviceId: string, timeline: string): Promise<void>;
  /**
   * A new timeline version with `patch`, its changes from the version before (timelinePatchFor): the whole timeline
   * retained on `timeline` as above, and the patch instead of it live on `timeline/patch`. A gateway that cannot
   * send patches sends the whole timeline.
   */
  publishTimelinePatch(deviceId: string, timeline: string, _patch: string): Promise<void> {
    return this.publishTimeline(deviceId, timeline);
  }
  /** Ids of playback reports committed: the agent may drop them from its outbox. */
  abstract ackEvents(deviceId: string, ids: readonly string[]): Promise<void>;
  abstract sendCommand(send: CommandSend): Promise<void>;
  /** An alert, update or cancellation on its area's channel (`msg.areaCode`), retained for devices connecting later. */
  abstract publishAlert(msg: AlertMessage): Promise<void>;
  /** Removes whatever is retained on an area's alert channel (an expired alert or cancellation). */
  abstract clearAlert(areaCode: string): Promise<void>;
}
