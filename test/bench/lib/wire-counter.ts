// Bytes on the wire of real device connections: a TCP relay between a device and the server that counts every byte
// each way and, for MQTT, which packet it belonged to (fixed header, remaining length, PUBLISH topic), so a day of
// traffic can be told apart by cause (keep-alive, telemetry, status, timeline, clock sync over HTTP).
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { parseAreaTopic, parseDeviceTopic } from '@loa/shared';

export type Direction = 'up' | 'down';

export interface WireTally {
  /** Bytes per kind and direction, e.g. `mqtt:publish:telemetry` up. */
  bytes: Record<string, { up: number; down: number; packets: number }>;
  up: number;
  down: number;
  /** Reads off the sockets. */
  chunks: number;
}

const MQTT_TYPES = ['reserved', 'connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'subscribe', 'suback', 'unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect', 'auth'] as const;

/**
 * Splits one direction of an MQTT stream into packets and names each: `mqtt:<type>`, and for a PUBLISH its device
 * channel (`mqtt:publish:timeline/patch`) or `mqtt:publish:alert`. Partial packets wait for the rest.
 */
export class MqttPacketSplitter {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly onPacket: (kind: string, bytes: number) => void) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.buf.length < 2) return;
      let len = 0;
      let mul = 1;
      let i = 1;
      for (;;) {
        if (i >= this.buf.length) return;
        const b = this.buf[i++]!;
        len += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) break;
        if (i > 4) throw new Error('malformed MQTT remaining length');
      }
      const total = i + len;
      if (this.buf.length < total) return;
      const type = MQTT_TYPES[this.buf[0]! >> 4] ?? 'unknown';
      let kind = `mqtt:${type}`;
      if (type === 'publish' && len >= 2) {
        const topicLen = this.buf.readUInt16BE(i);
        const topic = this.buf.subarray(i + 2, i + 2 + topicLen).toString('utf8');
        const device = parseDeviceTopic(topic);
        kind += `:${device ? device.channel : parseAreaTopic(topic) ? 'alert' : 'other'}`;
      }
      this.onPacket(kind, total);
      this.buf = this.buf.subarray(total);
    }
  }
}

export interface CountingRelay {
  readonly port: number;
  /** Counted since start or the last reset. */
  tally(): WireTally;
  reset(): void;
  close(): Promise<void>;
}

/**
 * Listens on a free loopback port and relays every connection to `targetPort`. `protocol` 'mqtt' names each packet;
 * 'http' counts everything as `http` (a device's only idle HTTP is its clock sync).
 */
export async function startCountingRelay(targetPort: number, protocol: 'mqtt' | 'http', targetHost = '127.0.0.1'): Promise<CountingRelay> {
  let tally: WireTally = { bytes: {}, up: 0, down: 0, chunks: 0 };
  const add = (kind: string, dir: Direction, n: number, packet: boolean) => {
    const k = (tally.bytes[kind] ??= { up: 0, down: 0, packets: 0 });
    k[dir] += n;
    if (packet) k.packets++;
  };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(targetPort, targetHost);
    sockets.add(inbound);
    sockets.add(outbound);
    const splitters =
      protocol === 'mqtt'
        ? { up: new MqttPacketSplitter((kind, n) => add(kind, 'up', n, true)), down: new MqttPacketSplitter((kind, n) => add(kind, 'down', n, true)) }
        : null;
    // HTTP/1.1 on one connection is strictly request → answer: the bytes belong to the last request line seen.
    let httpKind = 'http';
    const relay = (from: net.Socket, to: net.Socket, dir: Direction) => {
      from.on('data', (chunk: Buffer) => {
        tally[dir] += chunk.length;
        tally.chunks++;
        if (splitters) splitters[dir].push(chunk);
        else {
          const request = dir === 'up' ? /^([A-Z]+) (\/[^?\s]*)/.exec(chunk.subarray(0, 300).toString('latin1')) : null;
          if (request) httpKind = `http:${request[1]} ${httpPathKind(request[2] ?? '')}`;
          add(httpKind, dir, chunk.length, request !== null);
        }
        to.write(chunk);
      });
      from.on('end', () => to.end());
      from.on('error', () => to.destroy());
      from.on('close', () => {
        sockets.delete(from);
        to.destroy();
      });
    };
    relay(inbound, outbound, 'up');
    relay(outbound, inbound, 'down');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    tally: () => structuredClone(tally),
    reset: () => {
      tally = { bytes: {}, up: 0, down: 0, chunks: 0 };
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A request path without its ids (`/api/v1/media/<sha256>` → `/api/v1/media/:id`), so kinds stay few. */
function httpPathKind(path: string): string {
  return path.replace(/\/[0-9a-f]{16,}(?=\/|$)/gi, '/:id');
}

/** Adds tallies (several relays, or several windows). */
export function mergeTallies(all: readonly WireTally[]): WireTally {
  const out: WireTally = { bytes: {}, up: 0, down: 0, chunks: 0 };
  for (const t of all) {
    out.up += t.up;
    out.down += t.down;
    out.chunks += t.chunks;
    for (const [k, v] of Object.entries(t.bytes)) {
      const o = (out.bytes[k] ??= { up: 0, down: 0, packets: 0 });
      o.up += v.up;
      o.down += v.down;
      o.packets += v.packets;
    }
  }
  return out;
}

export interface SegmentCounter {
  /** TCP segments both ways (data, pure ACKs, handshakes) on every connection accepted on the ports so far. */
  total(): number;
  close(): void;
}

/**
 * The kernel's own per-connection TCP counters (`ss -ti`: segs_in, segs_out) of the connections accepted on these
 * ports, polled so that a connection that closes in between (an HTTP exchange) keeps its last count. A relay's
 * accepted side sees exactly the segments the device's interface does: what the IP and TCP headers cost is
 * segments × 52 bytes (IPv4 20, TCP 20, timestamps 12). Null where `ss` is not available.
 */
export function startSegmentCounter(ports: readonly number[], everyMs = 250): SegmentCounter | null {
  const filter = `( ${ports.map((p) => `sport = :${p}`).join(' or ')} )`;
  const last = new Map<string, number>();
  const poll = (): boolean => {
    let out: string;
    try {
      out = execFileSync('ss', ['-tinH', filter], { encoding: 'utf8', timeout: 5000 });
    } catch {
      return false;
    }
    // A connection is a line "STATE recv send local peer", then its indented info line.
    let key: string | null = null;
    for (const line of out.split('\n')) {
      if (!/^\s/.test(line)) {
        const head = line.trim().split(/\s+/);
        key = head.length >= 5 ? `${head[3]} ${head[4]}` : null;
        continue;
      }
      if (key === null) continue;
      const segs = (name: string) => Number(new RegExp(`\\b${name}:(\\d+)`).exec(line)?.[1] ?? 0);
      last.set(key, Math.max(last.get(key) ?? 0, segs('segs_in') + segs('segs_out')));
      key = null;
    }
    return true;
  };
  if (!poll()) return null;
  const timer = setInterval(poll, everyMs);
  return {
    total: () => {
      poll();
      let n = 0;
      for (const v of last.values()) n += v;
      return n;
    },
    close: () => clearInterval(timer),
  };
}
