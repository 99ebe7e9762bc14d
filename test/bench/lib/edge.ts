// Edge traffic (issue 14): what one real `loa-agent` with the field's defaults sends and receives on an idle day, and
// what a schedule change costs it, counted on the wire (MQTT framing and HTTP headers included) by relays between the
// agent and the server.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { LoaApi } from '@loa/e2e/sim/dist/index.js';
import { AGENT_CLI, REPO, type LoaServer } from './loa-server.js';
import { round } from './proc.js';
import { toneWav, uploadMedia } from './wav.js';
import { startCountingRelay, startSegmentCounter, mergeTallies, type CountingRelay, type WireTally } from './wire-counter.js';

const DAY_S = 86_400;

export interface KindFigure {
  kind: string;
  up: number;
  down: number;
  packets: number;
  perDay: number;
}

export interface EdgeResult {
  /** Length of the measured idle window. */
  windowS: number;
  /** Bytes both ways over the window, scaled to a day. */
  idleBytesPerDay: number;
  idleUpPerDay: number;
  idleDownPerDay: number;
  /** Per cause, scaled to a day. */
  byKind: KindFigure[];
  /**
   * With the IP and TCP headers the socket counts leave out: every TCP segment of the window (data, ACKs, the clock
   * sync's connection set-ups), counted by the kernel, × 52 bytes. Null where `ss` is missing. TLS (mqtts, https)
   * would add 22-29 bytes per record and a handshake per clock-sync connection on top.
   */
  idleWithHeadersPerDay: number | null;
  idleSegmentsPerDay: number | null;
  /** Connect, subscribe, retained timeline and first clock sync of a (re)connecting agent with a week planned. */
  connectBytes: number;
  /** Slots in the device's 7-day timeline before the change. */
  timelineSlots: number;
  /** Bytes the device exchanged for one added one-off schedule (everything down and the ack up). */
  changeBytes: number;
  /** How the change arrived: the MQTT channel(s) that carried it. */
  changeChannels: string[];
  /** The whole 7-day timeline on the wire (the retained copy a resync fetches). */
  fullTimelineBytes: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, timeoutMs: number, done: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`edge: timed out waiting for ${what}`);
    await sleep(100);
  }
}

function perDayFigures(t: WireTally, windowS: number): KindFigure[] {
  return Object.entries(t.bytes)
    .map(([kind, v]) => ({ kind, up: v.up, down: v.down, packets: v.packets, perDay: Math.round(((v.up + v.down) * DAY_S) / windowS) }))
    .sort((a, b) => b.perDay - a.perDay);
}

const channelBytes = (t: WireTally, channel: string) => {
  const k = t.bytes[`mqtt:publish:${channel}`];
  return k ? k.up + k.down : 0;
};

/**
 * One speaker with a realistic week (two daily bulletins and a weekly programme, ~15 slots) runs with nothing but
 * its required flags, i.e. every period at its default, for `windowMs`; then one one-off schedule is added for it,
 * then a resync fetches its full timeline so the full and the change can be compared on the same wire.
 */
export async function measureEdge(server: LoaServer, api: LoaApi, areaCode: string, dir: string, windowMs: number, log: (s: string) => void, track: (c: ChildProcess) => void): Promise<EdgeResult> {
  const id = `bench-edge-${randomBytes(3).toString('hex')}`;
  const { secret } = await api.request<{ secret: string }>('POST', '/api/v1/devices', { id, name: 'Bench edge agent', kind: 'speaker', areaCode }, [201]);
  const { publicKey } = await api.request<{ publicKey: string }>('GET', '/api/v1/signing-key');
  const sha = await uploadMedia(api.baseUrl, api.token, toneWav(3, 16_000, 660), `edge-${id}.wav`, 'audio/wav');
  const content = await api.request<{ id: string }>('POST', '/api/v1/contents', { type: 'audio', title: 'Bản tin thời sự buổi sáng', mediaSha256: sha, approve: true }, [201]);
  // The next h:00 UTC at least an hour away: the week's first bulletin then always falls inside the agent's 24 h media
  // prefetch, whatever the time of day the bench runs (from tomorrow's date, nothing was within 24 h before 10:00 UTC).
  const day = (h: number) => {
    const earliest = Date.now() + 3_600_000;
    const d = new Date(earliest);
    d.setUTCHours(h, 0, 0, 0);
    if (d.getTime() < earliest) d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString();
  };
  for (const [startAt, rrule] of [
    [day(23), 'FREQ=DAILY'],
    [day(10), 'FREQ=DAILY'],
    [day(13), 'FREQ=WEEKLY'],
  ] as const) {
    const r = await api.raw('POST', '/api/v1/schedules', { contentId: content.id, startAt, rrule, targets: { devices: [id] } });
    if (r.status !== 201) throw new Error(`edge: POST /schedules → ${r.status}: ${r.text.slice(0, 300)}`);
  }
  const device = async () => api.request<{ timelineVersion: number; ackedTimelineVersion: number; online: boolean }>('GET', `/api/v1/devices/${id}`);
  const compiled = (await device()).timelineVersion;

  const mqttRelay = await startCountingRelay(server.mqttPort, 'mqtt');
  const httpRelay = await startCountingRelay(server.httpPort, 'http');
  const relays: CountingRelay[] = [mqttRelay, httpRelay];
  const segments = startSegmentCounter([mqttRelay.port, httpRelay.port]);
  const tally = () => mergeTallies(relays.map((r) => r.tally()));
  const reset = () => relays.forEach((r) => r.reset());
  const child = spawn(
    process.execPath,
    [
      AGENT_CLI,
      `--server-url=http://127.0.0.1:${httpRelay.port}`,
      `--mqtt-url=mqtt://127.0.0.1:${mqttRelay.port}`,
      `--device-id=${id}`,
      `--secret=${secret}`,
      `--server-public-key=${publicKey}`,
      '--kind=speaker',
      '--audio-output=null',
      `--data-dir=${path.join(dir, 'edge-agent')}`,
      '--log-level=info',
    ],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  track(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  try {
    // Connected, the week stored and acked, its bulletin downloaded, the clock measured: from here on it is idle.
    await until('edge agent acked its timeline', 60_000, async () => (await device()).ackedTimelineVersion >= compiled);
    await until('edge agent cached its media', 60_000, () => out.includes(sha) && /media (stored|cached|verified|downloaded)/.test(out));
    await until('edge agent clock synchronised', 60_000, () => out.includes('clock synchronised with the server'));
    await sleep(2000);
    const connect = tally();
    const connectBytes = Object.entries(connect.bytes)
      .filter(([k]) => !k.startsWith('http:GET /api/v1/media'))
      .reduce((s, [, v]) => s + v.up + v.down, 0);
    const timelineSlots = (/"slots":(\d+)[^\n]*timeline stored/.exec(out) ?? /timeline stored[^\n]*"slots":(\d+)/.exec(out))?.[1];

    log(`edge: one real agent idle for ${windowMs / 1000} s with every default`);
    reset();
    const segmentsBefore = segments?.total() ?? 0;
    await sleep(windowMs);
    const idle = tally();
    const idleSegments = segments ? segments.total() - segmentsBefore : null;
    const windowS = windowMs / 1000;

    log('edge: one schedule added for the agent');
    reset();
    const before = (await device()).timelineVersion;
    const r = await api.raw('POST', '/api/v1/schedules', { contentId: content.id, startAt: new Date(Date.now() + 2 * 3_600_000).toISOString(), targets: { devices: [id] } });
    if (r.status !== 201) throw new Error(`edge: POST /schedules → ${r.status}: ${r.text.slice(0, 300)}`);
    await until('edge agent acked the change', 60_000, async () => {
      const d = await device();
      return d.timelineVersion > before && d.ackedTimelineVersion >= d.timelineVersion;
    });
    await sleep(500);
    const change = tally();
    const changeChannels = ['timeline', 'timeline/patch'].filter((c) => channelBytes(change, c) > 0);
    const changeBytes = Object.entries(change.bytes)
      .filter(([k]) => k.startsWith('mqtt:publish:timeline') || k === 'mqtt:puback')
      .reduce((s, [, v]) => s + v.up + v.down, 0);

    log('edge: resync, so the full timeline crosses the same wire');
    reset();
    const cmd = await api.request<{ id: string }>('POST', '/api/v1/commands', { command: { type: 'resync' }, target: { deviceId: id }, ttlS: 60 }, [201]);
    await until('edge agent answered the resync', 30_000, async () => {
      const v = await api.request<{ counts: Record<string, number> }>('GET', `/api/v1/commands/${cmd.id}?limit=1`);
      return (v.counts.ok ?? 0) + (v.counts.failed ?? 0) >= 1;
    });
    const fullTimelineBytes = channelBytes(tally(), 'timeline');

    return {
      windowS,
      idleBytesPerDay: Math.round(((idle.up + idle.down) * DAY_S) / windowS),
      idleUpPerDay: Math.round((idle.up * DAY_S) / windowS),
      idleDownPerDay: Math.round((idle.down * DAY_S) / windowS),
      byKind: perDayFigures(idle, windowS),
      idleWithHeadersPerDay: idleSegments === null ? null : Math.round(((idle.up + idle.down + idleSegments * 52) * DAY_S) / windowS),
      idleSegmentsPerDay: idleSegments === null ? null : Math.round((idleSegments * DAY_S) / windowS),
      connectBytes,
      timelineSlots: timelineSlots ? Number(timelineSlots) : 0,
      changeBytes,
      changeChannels,
      fullTimelineBytes,
    };
  } finally {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    segments?.close();
    for (const relay of relays) await relay.close();
  }
}

export function edgeRows(e: EdgeResult): Array<{ scenario: string; metric: string; loa: number | null; raw: null; ratio: null; target: string }> {
  const row = (metric: string, v: number, target = '') => ({ scenario: '13 edge traffic', metric, loa: v, raw: null, ratio: null, target });
  return [
    row(`idle bytes/day/device, one real agent, defaults (${e.windowS} s window)`, e.idleBytesPerDay, '≤ 1,000,000'),
    ...e.byKind.slice(0, 6).map((k) => row(`  of which ${k.kind} (bytes/day)`, k.perDay)),
    ...(e.idleWithHeadersPerDay === null ? [] : [row(`  with IP/TCP headers (${e.idleSegmentsPerDay} segments/day × 52 B; bytes/day)`, e.idleWithHeadersPerDay)]),
    row('(re)connect with a week planned (bytes)', e.connectBytes),
    row(`one schedule added: bytes to the device [${e.changeChannels.join('+') || '–'}]`, e.changeBytes, '< full timeline'),
    row(`full 7-day timeline on the wire (${e.timelineSlots} slots, bytes)`, e.fullTimelineBytes),
  ].map((r) => ({ ...r, loa: r.loa === null ? null : round(r.loa, 0) }));
}
