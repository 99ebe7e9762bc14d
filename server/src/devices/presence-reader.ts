/**
 * The presence feature's answer to "which of these devices are online?", for features that act on devices now
 * (commands send at once to those online and queue for the others). Presence has one owner: the devices table,
 * written only through PresenceWriter; a status message counts from the moment the writer accepts it, before its
 * batch is committed, so a device that just announced itself is not missed in that gap. Nobody else keeps a copy.
 */
export abstract class PresenceReader {
  abstract onlineAmong(deviceIds: readonly string[]): Promise<ReadonlySet<string>>;
}
