import { Inject, Injectable, UnprocessableEntityException, type OnModuleDestroy } from '@nestjs/common';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { LiveEndReason, LiveSessionView, RelayTestResult, StartLiveRequest } from '@loa/shared/rest';
import { AlertsService } from '../alerts/alerts.service.js';
import { Clock } from '../common/clock.js';
import { newId, randomToken } from '../common/ids.js';
import { AppConfig } from '../config/app-config.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { MediaIngestService } from '../media/media-ingest.service.js';
import { MediaTools } from '../media/media-tools.js';
import { LiveTranscoder, type MicFormat } from './live-transcoder.js';
import { probeRelay } from './relay-probe.js';
import type { LiveSession } from './live-session.js';
import { timingSafeEqual } from 'node:crypto';
import { coded, conflict, notFound } from '../common/loa-error.js';

/** A browser that dropped may come back within this long (a phone changing networks) before the session ends. */
export const MIC_GRACE_MS = 8000;

/**
 * Live voice (issue 18): a session is an area alert carrying a stream. For the microphone, this process runs the
 * sound path (LiveTranscoder) and serves the stream at a capability URL; for a relay, speakers fetch the upstream
 * URL themselves. Sessions live in this process's memory: the alert is the durable record (source `live`/`relay`,
 * its stream URL), the recording becomes media. Stopping, losing the microphone past the grace period or reaching
 * the maximum duration cancels the alert, so every speaker withdraws it and resumes what it was playing.
 */
@Injectable()
export class LiveService implements OnModuleDestroy {
  private readonly sessions = new Map<string, LiveSession>();
  private readonly log: AppLogger;

  constructor(
    private readonly alerts: AlertsService,
    private readonly tools: MediaTools,
    private readonly ingest: MediaIngestService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'live' });
  }

  async start(req: StartLiveRequest, userId: string, origin: string): Promise<LiveSessionView> {
    if (req.kind === 'relay') {
      const test = await this.testRelay(req.url);
      if (!test.ok) throw new UnprocessableEntityException({ statusCode: 422, error: 'Unprocessable Entity', ...coded('live.stream-test-failed', { reason: test.code, detail: test.message }), test });
    }
    const id = newId();
    const now = this.clock.now();
    const base = (this.config.publicHttpUrl ?? origin).replace(/\/+$/, '');
    const token = req.kind === 'mic' ? randomToken(24) : null;
    const streamUrl = req.kind === 'mic' ? `${base}/api/v1/live/${id}/stream?token=${token}` : req.url;
    let transcoder: LiveTranscoder | null = null;
    let recordingPath: string | null = null;
    if (req.kind === 'mic') {
      const dir = path.join(this.config.dataDir, 'live');
      await mkdir(dir, { recursive: true });
      recordingPath = path.join(dir, `${id}.mp3`);
      transcoder = new LiveTranscoder(this.tools, recordingPath, (req.maxDurationS + 60) * 1000, (reason) => this.failed(id, reason));
      await transcoder.start();
    }
    const session: LiveSession = {
      id, kind: req.kind, alertId: '', areaCode: req.areaCode, priority: req.priority, title: req.title, token, streamUrl,
      maxDurationS: req.maxDurationS, startedAt: now, endsAt: now + req.maxDurationS * 1000, endedAt: null, endReason: null,
      createdBy: userId, recordingPath, recordingSha256: null, transcoder, micConnected: false, micFormat: null,
      alertPending: false, timers: new Set(), closeMic: null,
    };
    let alert;
    try {
      alert = await this.alerts.create(
        {
          areaCode: req.areaCode,
          title: req.title,
          priority: req.priority,
          expiresInS: req.maxDurationS,
          source: req.kind === 'mic' ? 'live' : 'relay',
          stream: { url: streamUrl, live: req.kind === 'mic' },
          // A microphone's speakers start on arrival, without the alerts' start lead: the server sends every listener
          // the live edge at once, which keeps neighbours together, and a lead would only cut the first words.
          ...(req.kind === 'mic' ? { effectiveAt: now } : {}),
        },
        userId,
      );
    } catch (err) {
      await transcoder?.end();
      if (recordingPath) await rm(recordingPath, { force: true });
      throw err;
    }
    session.alertId = alert.id;
    session.alertPending = alert.status === 'pending';
    this.sessions.set(id, session);
    this.arm(session, req.maxDurationS * 1000, 'max_duration');
    // The browser opens its microphone right after this answer; if it never does, the session does not linger.
    if (req.kind === 'mic') this.arm(session, MIC_GRACE_MS * 2, 'mic_lost', 'mic');
    this.log.warn({ sessionId: id, alertId: alert.id, kind: req.kind, areaCode: req.areaCode, userId, pending: session.alertPending }, 'live session started');
    return this.view(session);
  }

  async stop(id: string, userId: string): Promise<LiveSessionView> {
    const s = this.require(id);
    if (s.endedAt !== null) throw conflict('live.ended', { id, reason: s.endReason ?? '' });
    await this.end(s, 'stopped', userId);
    return this.view(s);
  }

  async get(id: string): Promise<LiveSessionView> {
    const s = this.require(id);
    await this.followAlert(s);
    return this.view(s);
  }

  async list(): Promise<LiveSessionView[]> {
    const all = [...this.sessions.values()].sort((a, b) => b.startedAt - a.startedAt);
    for (const s of all) await this.followAlert(s);
    return all.map((s) => this.view(s));
  }

  areaOf(id: string): string {
    return this.require(id).areaCode;
  }

  testRelay(url: string): Promise<RelayTestResult> {
    return probeRelay(this.tools, url, () => this.clock.now());
  }

  /** The speaker's request for the stream: null when the id or the token is wrong (the caller answers 404). */
  listenerSession(id: string, token: string | undefined): LiveSession | null {
    const s = this.sessions.get(id);
    if (!s || !s.token || !token || !sameSecret(s.token, token)) return null;
    return s;
  }

  /**
   * The microphone's WebSocket: only the user who started the session may speak into it, one browser at a time.
   * Answers an HTTP status when refused, else the sink for its chunks and what to call when it closes.
   */
  async attachMic(id: string, userId: string, format: MicFormat, close: () => void): Promise<{ refused: number; why: string } | { write: (chunk: Buffer) => void; detach: () => void }> {
    const s = this.sessions.get(id);
    if (!s || s.kind !== 'mic' || !s.transcoder) return { refused: 404, why: `no live microphone session ${id}` };
    if (s.createdBy !== userId) return { refused: 403, why: 'only the user who started the session may speak into it' };
    if (s.endedAt !== null) return { refused: 409, why: `session ${id} has ended (${s.endReason})` };
    if (s.micConnected) return { refused: 409, why: 'a microphone is already connected to this session' };
    s.micConnected = true;
    this.disarm(s, 'mic');
    const transcoder = s.transcoder;
    await transcoder.useInput(format);
    s.micFormat = format;
    s.closeMic = close;
    this.log.info({ sessionId: id }, 'live microphone connected');
    return {
      write: (chunk) => transcoder.write(chunk),
      detach: () => {
        if (s.closeMic !== close) return;
        s.closeMic = null;
        s.micConnected = false;
        if (s.endedAt !== null) return;
        this.log.warn({ sessionId: id, graceMs: MIC_GRACE_MS }, 'live microphone dropped');
        this.arm(s, MIC_GRACE_MS, 'mic_lost', 'mic');
      },
    };
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.sessions.values()].filter((s) => s.endedAt === null).map((s) => this.end(s, 'server_stopping', null, false)));
  }

  private require(id: string): LiveSession {
    const s = this.sessions.get(id);
    if (!s) throw notFound('live.not-found', { id });
    return s;
  }

  /** An alert cancelled or replaced elsewhere (the alerts page, a newer alert on the area) ends its session. */
  private async followAlert(s: LiveSession): Promise<void> {
    if (s.endedAt !== null) return;
    const alert = await this.alerts.get(s.alertId).catch(() => null);
    if (!alert) return;
    s.alertPending = alert.status === 'pending';
    if (alert.status === 'cancelled' || alert.status === 'superseded' || Date.parse(alert.expiresAt) <= this.clock.now()) {
      await this.end(s, 'alert_ended', null, false);
    }
  }

  private failed(id: string, reason: string): void {
    const s = this.sessions.get(id);
    if (!s || s.endedAt !== null) return;
    this.log.error({ sessionId: id, reason }, 'live transcoder failed');
    void this.end(s, 'failed', null);
  }

  private arm(s: LiveSession, ms: number, reason: LiveEndReason, tag: string = reason): void {
    this.disarm(s, tag);
    const timer = setTimeout(() => {
      s.timers.delete(entry);
      if (s.endedAt === null) void this.end(s, reason, null);
    }, ms);
    timer.unref();
    const entry = { tag, timer };
    s.timers.add(entry);
  }

  private disarm(s: LiveSession, tag: string): void {
    for (const t of s.timers) {
      if (t.tag !== tag) continue;
      clearTimeout(t.timer);
      s.timers.delete(t);
    }
  }

  private async end(s: LiveSession, reason: LiveEndReason, userId: string | null, cancelAlert = true): Promise<void> {
    if (s.endedAt !== null) return;
    s.endedAt = this.clock.now();
    s.endReason = reason;
    for (const t of s.timers) clearTimeout(t.timer);
    s.timers.clear();
    this.log.warn({ sessionId: s.id, alertId: s.alertId, reason }, 'live session ended');
    if (cancelAlert) {
      // Already expired or cancelled elsewhere: nothing left to withdraw.
      await this.alerts.cancel(s.alertId, userId ?? s.createdBy).catch((err: Error) => this.log.info({ sessionId: s.id, err: err.message }, 'live session: alert not cancelled'));
    }
    s.closeMic?.();
    if (s.transcoder) {
      await s.transcoder.end();
      if (reason !== 'server_stopping') void this.keepRecording(s);
    }
  }

  /** The recording becomes media (processed like an upload), so the playout log can link what was said. */
  private async keepRecording(s: LiveSession): Promise<void> {
    const file = s.recordingPath;
    if (!file) return;
    try {
      if ((await stat(file)).size === 0) return;
      const stamp = new Date(s.startedAt).toISOString().slice(0, 16).replace(':', 'h');
      const result = await this.ingest.ingestLocalFile(file, `phat-truc-tiep-${s.areaCode}-${stamp}.mp3`, s.createdBy);
      s.recordingSha256 = result.media.sha256;
      this.log.info({ sessionId: s.id, sha256: s.recordingSha256 }, 'live recording kept');
    } catch (err) {
      this.log.warn({ sessionId: s.id, err: (err as Error).message }, 'live recording not kept');
    } finally {
      await rm(file, { force: true }).catch(() => undefined);
    }
  }

  private view(s: LiveSession): LiveSessionView {
    const state = s.endedAt !== null ? 'ended' : s.alertPending ? 'awaiting_approval' : s.kind === 'relay' || s.micConnected ? 'live' : 'waiting_for_mic';
    return {
      id: s.id, kind: s.kind, alertId: s.alertId, areaCode: s.areaCode, priority: s.priority, title: s.title, state,
      endReason: s.endReason, streamUrl: s.streamUrl, micPath: s.kind === 'mic' ? `/api/v1/live/${s.id}/mic` : null,
      maxDurationS: s.maxDurationS, startedAt: iso(s.startedAt), endsAt: iso(s.endsAt), endedAt: s.endedAt === null ? null : iso(s.endedAt),
      createdBy: s.createdBy, listeners: s.transcoder?.listenerCount ?? 0, bytesIn: s.transcoder?.bytesIn ?? 0, recordingSha256: s.recordingSha256,
    };
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

