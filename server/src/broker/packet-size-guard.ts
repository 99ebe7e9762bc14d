import type { Socket } from 'node:net';
import { MAX_PAYLOAD_BYTES } from '@loa/shared';

/**
 * MQTT announces each packet's length up front (up to 256 MB) and aedes' parser buffers the whole packet before
 * anything looks at it: a client, logged in or not, could make the server hold hundreds of megabytes per connection
 * (a CONNECT is buffered before authentication). The limits are what Loa's own messages need.
 */
export interface PacketLimits {
  /** The first packet, CONNECT: client id, will, username and secret. */
  firstPacketBytes: number;
  /** Every later packet: a PUBLISH carries at most MAX_PAYLOAD_BYTES plus its topic. */
  packetBytes: number;
}

export const PACKET_LIMITS: PacketLimits = { firstPacketBytes: 64 * 1024, packetBytes: MAX_PAYLOAD_BYTES + 64 * 1024 };

export type OversizeReason = { announcedBytes: number; limitBytes: number; first: boolean } | { malformedLength: true };

/**
 * Follows MQTT framing over a byte stream without keeping any of it: the fixed header's type byte, the remaining
 * length (1 to 4 bytes, 7 bits each), then that many bytes skipped. Reports the first packet over its limit.
 */
export class PacketFrameScanner {
  private headerBytes = 0;
  private length = 0;
  private multiplier = 1;
  private skip = 0;
  private packets = 0;

  constructor(private readonly limits: PacketLimits) {}

  /** Feeds the next bytes read; returns why the stream must be cut, or null while every packet fits. */
  feed(chunk: Uint8Array): OversizeReason | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      const byte = chunk[i++]!;
      if (this.headerBytes === 0) {
        this.headerBytes = 1; // packet type and flags
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.headerBytes++;
      if (byte & 0x80) {
        if (this.headerBytes > 4) return { malformedLength: true };
        continue;
      }
      const first = this.packets === 0;
      const limit = first ? this.limits.firstPacketBytes : this.limits.packetBytes;
      if (this.length > limit) return { announcedBytes: this.length, limitBytes: limit, first };
      this.packets++;
      this.skip = this.length;
      this.headerBytes = 0;
      this.length = 0;
      this.multiplier = 1;
    }
    return null;
  }
}

const GUARD = Symbol('loa.packetSizeGuard');

/** A socket's scanner, with the read it wraps and whom to tell; one small object per connection, no closures. */
class SocketGuard extends PacketFrameScanner {
  constructor(
    limits: PacketLimits,
    readonly read: Socket['read'],
    readonly onRefused: (socket: Socket, reason: OversizeReason) => void,
  ) {
    super(limits);
  }
}

type GuardedSocket = Socket & { [GUARD]: SocketGuard };

/** The read every guarded socket gets (shared: a fleet of connections holds one function, not one closure each). */
function guardedRead(this: GuardedSocket, size?: number): unknown {
  const guard = this[GUARD];
  const chunk: unknown = guard.read.call(this, size);
  if (chunk === null || this.destroyed || !(chunk instanceof Uint8Array)) return chunk;
  const refused = guard.feed(chunk);
  if (refused === null) return chunk;
  guard.onRefused(this, refused);
  this.destroy();
  return null;
}

/**
 * Watches what the broker reads from `socket` and destroys the connection at the header of a packet over the limit,
 * before its body is buffered. aedes reads with `socket.read()` (paused mode), so the check wraps that method of this
 * one socket: every byte the parser gets has passed the scanner first.
 */
export function guardPacketSize(socket: Socket, limits: PacketLimits, onRefused: (socket: Socket, reason: OversizeReason) => void): void {
  (socket as GuardedSocket)[GUARD] = new SocketGuard(limits, socket.read, onRefused);
  socket.read = guardedRead as Socket['read'];
}
