import { HttpException, Inject, Injectable } from '@nestjs/common';
import type { CapMessageState, CapReceiveAnswer, Priority } from '@loa/shared/rest';
import { AlertsService } from '../alerts/alerts.service.js';
import { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
import { NamedLocks } from '../common/named-locks.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { CapAudio, CAP_ACTOR } from './cap-audio.js';
import { originOf } from './cap-fetch.js';
import { circleBox, coveringAreas, insideCircle, insidePolygon, polygonBox } from './cap-geo.js';
import { alertTimes, boardText, geocodeCodes, mapPriority, pickInfos, titleOf } from './cap-mapping.js';
import { CapContentError, parseCap, type CapArea, type CapInfo, type CapMessage } from './cap-parse.js';
import { CapFormatError, precheck, validateCap } from './cap-validate.js';
import type { CapMessageEntity, CapSourceEntity } from './cap.entities.js';
import { CapRepository } from './cap.repository.js';

/** How the message arrived: pushed to us, or found in a polled feed (with the entry it came from). */
export type CapArrival = { via: 'push' } | { via: 'feed'; entryId: string };

export interface CapOutcome {
  status: number;
  answer: CapReceiveAnswer;
}

const MAX_ALERT_S = 7 * 86_400;

/** Raw XML kept for a refused message: enough to see what was wrong, bounded for the too-large ones. */
const RAW_KEPT = 64 * 1024;

/** A decision reached while mapping: recorded with its HTTP status. */
class Decision extends Error {
  constructor(
    readonly state: CapMessageState,
    readonly status: number,
    reason: string,
  ) {
    super(reason);
  }
}

interface Planned {
  areaCode: string;
  info: CapInfo;
  priority: Priority;
}

/**
 * A CAP 1.2 message to Loa alerts: checked (DOCTYPE, XSD), recorded whatever becomes of it, taken once per
 * `sender,identifier,sent` and source, then mapped: every chosen `info` × target area is one alert on that area's
 * channel (AlertsService: a newer alert on an area replaces the older one, a cancel withdraws it everywhere).
 * Messages of one source are handled one at a time, so an Update never overtakes the Alert it references.
 */
@Injectable()
export class CapInboundService {
  private readonly log: AppLogger;

  constructor(
    private readonly repo: CapRepository,
    private readonly alerts: AlertsService,
    private readonly audio: CapAudio,
    private readonly clock: Clock,
    private readonly locks: NamedLocks,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'cap' });
  }

  async receive(source: CapSourceEntity, raw: Buffer, arrival: CapArrival): Promise<CapOutcome> {
    const entryId = arrival.via === 'feed' ? arrival.entryId : null;
    let msg: CapMessage;
    let text: string;
    try {
      text = precheck(raw);
      await validateCap(text);
      msg = parseCap(text);
    } catch (err) {
      if (!(err instanceof CapFormatError) && !(err instanceof CapContentError)) throw err;
      const status = err instanceof CapFormatError ? (err.code === 'too-large' ? 413 : 400) : 422;
      return this.recordRefusal(source, arrival.via, entryId, raw, status, err.message);
    }
    return this.locks.run(`cap.source:${source.id}`, async () => {
      const twin = await this.repo.findByKey(source.id, msg.sender, msg.identifier, msg.sentAt);
      if (twin) return outcome(twin, true);
      const row = this.record(source, arrival.via, entryId, text, msg);
      try {
        const done = await this.apply(source, msg);
        Object.assign(row, { state: done.state, answerStatus: 200, reason: done.reason, alertIds: done.alertIds });
      } catch (err) {
        if (err instanceof Decision) Object.assign(row, { state: err.state, answerStatus: err.status, reason: err.message });
        else if (err instanceof HttpException && err.getStatus() < 500) Object.assign(row, { state: 'refused', answerStatus: 422, reason: err.message });
        else if (err instanceof CapContentError) Object.assign(row, { state: 'refused', answerStatus: 422, reason: err.message });
        else throw err;
      }
      const { row: stored, duplicate } = await this.repo.insertMessage(row);
      this.log.info({ sourceId: source.id, sender: msg.sender, identifier: msg.identifier, msgType: msg.msgType, state: stored.state, reason: stored.reason, alerts: stored.alertIds.length }, 'CAP message received');
      return outcome(stored, duplicate);
    });
  }

  private async recordRefusal(source: CapSourceEntity, via: 'push' | 'feed', entryId: string | null, raw: Buffer, status: number, reason: string): Promise<CapOutcome> {
    const row: CapMessageEntity = {
      ...this.record(source, via, entryId, raw.subarray(0, RAW_KEPT).toString('utf8'), null),
      state: 'refused',
      answerStatus: status,
      reason,
    };
    await this.repo.insertMessage(row);
    this.log.warn({ sourceId: source.id, status, reason }, 'CAP message refused');
    return outcome(row, false);
  }

  private record(source: CapSourceEntity, via: 'push' | 'feed', entryId: string | null, rawXml: string, msg: CapMessage | null): CapMessageEntity {
    const info = msg ? pickInfos(msg.infos)[0] : undefined;
    return {
      id: newId(),
      sourceId: source.id,
      via,
      entryId: entryId?.slice(0, 500) ?? null,
      sender: msg?.sender.slice(0, 255) ?? null,
      identifier: msg?.identifier.slice(0, 255) ?? null,
      sent: msg?.sent.slice(0, 40) ?? null,
      sentAt: msg?.sentAt ?? null,
      msgType: msg?.msgType ?? null,
      status: msg?.status ?? null,
      headline: info ? titleOf(info).slice(0, 300) : null,
      refs: msg?.referencesText ?? null,
      state: 'refused',
      reason: null,
      answerStatus: 500,
      alertIds: [],
      rawXml,
      receivedAt: this.clock.now(),
    };
  }

  /** What the message does; a refusal or a "recorded only" is thrown as a Decision. */
  private async apply(source: CapSourceEntity, msg: CapMessage): Promise<{ state: CapMessageState; reason: string | null; alertIds: string[] }> {
    if (msg.msgType === 'Ack' || msg.msgType === 'Error') throw new Decision('ignored', 200, `msgType ${msg.msgType}: nothing to broadcast`);
    if (msg.status === 'Draft' || msg.status === 'System') throw new Decision('ignored', 200, `status ${msg.status}: not for broadcast`);
    if (msg.scope !== 'Public') throw new Decision('ignored', 200, `scope ${msg.scope}: loudspeakers broadcast Public messages only`);
    const referenced = msg.msgType === 'Alert' ? [] : await this.referencedAlertIds(source, msg);
    if ((msg.status === 'Test' || msg.status === 'Exercise') && !source.allowTest) {
      throw new Decision('test-recorded', 200, `status ${msg.status}: recorded, not broadcast (the source does not allow tests on loudspeakers)`);
    }
    if (msg.msgType === 'Cancel') {
      const cancelled = await this.cancelAlerts(referenced, () => true);
      return { state: 'accepted', reason: cancelled.length === 0 ? 'the referenced alerts had already ended' : null, alertIds: cancelled };
    }
    const now = this.clock.now();
    const notes: string[] = [];
    const plan = await this.plan(source, msg, now, notes);
    const targeted = new Set(plan.map((p) => p.areaCode));
    // An Update withdraws what it no longer targets, and anything of the old message still waiting for a second
    // person (a new alert on the same area replaces an active one by itself).
    const oldAlerts = await this.repo.alerts(referenced);
    const withdraw = oldAlerts.filter((a) => a.status === 'pending' || (a.status === 'active' && !targeted.has(a.areaCode))).map((a) => a.id);
    const cancelled = await this.cancelAlerts(withdraw, () => true);
    if (cancelled.length > 0) notes.push(`withdrew ${cancelled.length} alert(s) of the referenced message`);
    const ids: string[] = [];
    let pending = 0;
    for (const p of plan) {
      const times = alertTimes(p.info, now, source.defaultExpiresS);
      const media = await this.mediaFor(source, p.info, notes);
      const created = await this.alerts.create(
        {
          areaCode: p.areaCode,
          title: titleOf(p.info),
          text: boardText(p.info) ?? (media ? undefined : titleOf(p.info)),
          mediaSha256: media ?? undefined,
          priority: p.priority,
          effectiveAt: times.effectiveAt,
          // The alert form's bounds (10 s to 7 days): a CAP expiry years away still ends within a week.
          expiresInS: Math.min(MAX_ALERT_S, Math.max(10, Math.ceil((times.expiresAt - times.effectiveAt) / 1000))),
          source: 'cap',
          skipSecondPerson: source.trusted,
        },
        CAP_ACTOR,
      );
      if (created.status === 'pending') pending++;
      ids.push(created.id);
    }
    if (pending > 0) notes.push(`${pending} alert(s) wait for a second person's confirmation`);
    return { state: pending > 0 ? 'pending' : 'accepted', reason: notes.length ? notes.join('; ') : null, alertIds: ids };
  }

  /** The alerts of the referenced messages; every reference must name a message this source sent us. */
  private async referencedAlertIds(source: CapSourceEntity, msg: CapMessage): Promise<string[]> {
    if (msg.references.length === 0) throw new Decision('refused', 422, `msgType ${msg.msgType} needs <references> (sender,identifier,sent of the message it ${msg.msgType === 'Cancel' ? 'cancels' : 'updates'})`);
    const ids: string[] = [];
    const unknown: string[] = [];
    for (const ref of msg.references) {
      const found = (await this.repo.findReferenced(source.id, ref.sender, ref.identifier)).find((m) => m.sentAt === ref.sentAt && m.state !== 'refused');
      if (!found) unknown.push(`${ref.sender},${ref.identifier},${ref.sent}`);
      else ids.push(...found.alertIds);
    }
    if (unknown.length > 0) throw new Decision('refused', 409, `unknown reference(s): ${unknown.join(' ')} (no such message was received from this source)`);
    return [...new Set(ids)];
  }

  private async cancelAlerts(ids: string[], keep: (id: string) => boolean): Promise<string[]> {
    const done: string[] = [];
    for (const a of await this.repo.alerts(ids.filter(keep))) {
      if (a.status !== 'active' && a.status !== 'pending') continue;
      if (a.clearedAt !== null) continue;
      try {
        await this.alerts.cancel(a.id, CAP_ACTOR);
        done.push(a.id);
      } catch (err) {
        // Replaced or cancelled meanwhile (by an operator or a newer alert): nothing left to withdraw.
        if (!(err instanceof HttpException) || err.getStatus() >= 500) throw err;
      }
    }
    return done;
  }

  /** info × area, each area once (the first, most important info wins), expired infos dropped. */
  private async plan(source: CapSourceEntity, msg: CapMessage, now: number, notes: string[]): Promise<Planned[]> {
    const infos = pickInfos(msg.infos);
    if (infos.length === 0) throw new Decision('refused', 422, 'the message has no <info>: nothing to broadcast');
    const live = infos.filter((i) => alertTimes(i, now, source.defaultExpiresS).expiresAt > now);
    if (live.length === 0) throw new Decision('refused', 422, 'already expired: every <info> expires before now');
    const rank: Record<Priority, number> = { emergency: 0, priority: 1, normal: 2 };
    const ranked = live.map((info) => ({ info, priority: mapPriority(info, source.priorityRules) })).sort((a, b) => rank[a.priority] - rank[b.priority]);
    const plan: Planned[] = [];
    const unmatched: string[] = [];
    for (const { info, priority } of ranked) {
      const areas = await this.targetAreas(info.areas, source.geocodeNames, unmatched);
      for (const areaCode of areas) if (!plan.some((p) => p.areaCode === areaCode)) plan.push({ areaCode, info, priority });
    }
    if (unmatched.length > 0) notes.push(`not matched to a Loa area: ${[...new Set(unmatched)].slice(0, 20).join(', ')}`);
    if (plan.length === 0) {
      throw new Decision('refused', 422, `no Loa area matched the message's <area> (geocode valueNames accepted: ${source.geocodeNames.join(', ') || 'none'}; polygons and circles reach devices with a location)${unmatched.length ? `; not matched: ${[...new Set(unmatched)].slice(0, 20).join(', ')}` : ''}`);
    }
    return plan;
  }

  /**
   * Geocodes naming Loa areas, plus the areas of the devices standing inside a polygon or circle; then the fewest
   * channels covering them all (an area under another targeted one is dropped).
   */
  private async targetAreas(areas: CapArea[], geocodeNames: string[], unmatched: string[]): Promise<string[]> {
    const { codes, ignored } = geocodeCodes(areas, geocodeNames);
    unmatched.push(...ignored);
    const found = new Set<string>();
    const known = await this.repo.areaPaths(codes);
    for (const c of codes) if (known.has(c)) found.add(c);
    else unmatched.push(c);
    for (const a of areas) {
      for (const polygon of a.polygons) for (const d of await this.repo.devicesIn(polygonBox(polygon))) if (insidePolygon(d, polygon)) found.add(d.areaCode);
      for (const circle of a.circles) for (const d of await this.repo.devicesIn(circleBox(circle))) if (insideCircle(d, circle)) found.add(d.areaCode);
      if ((a.polygons.length > 0 || a.circles.length > 0) && a.geocodes.length === 0 && found.size === 0) unmatched.push(`"${a.areaDesc.slice(0, 60)}" (no device with a location inside)`);
    }
    const paths = await this.repo.areaPaths([...found]);
    return coveringAreas(found, paths);
  }

  /** The info's audio (fetched once per info), else TTS of its text when the source asks; failures become notes. */
  private readonly mediaCache = new WeakMap<CapInfo, Promise<string | null>>();
  private mediaFor(source: CapSourceEntity, info: CapInfo, notes: string[]): Promise<string | null> {
    let p = this.mediaCache.get(info);
    if (!p) {
      p = this.resolveMedia(source, info, notes);
      this.mediaCache.set(info, p);
    }
    return p;
  }

  private async resolveMedia(source: CapSourceEntity, info: CapInfo, notes: string[]): Promise<string | null> {
    const resource = CapAudio.pick(info.resources);
    if (resource) {
      const feedOrigin = source.feedUrl ? originOf(source.feedUrl) : null;
      try {
        return await this.audio.fetch(resource, {
          allowedOrigins: [...source.resourceOrigins, ...(feedOrigin ? [feedOrigin] : [])],
          auth: source.feedAuth,
          credentialOrigin: feedOrigin,
        });
      } catch (err) {
        // The text still goes out (boards, and TTS when configured): an unreachable file must not silence a warning.
        notes.push(`audio resource not used: ${(err as Error).message}`);
      }
    }
    const text = [titleOf(info), boardText(info)].filter(Boolean).join('. ');
    if (source.speakDescription && this.audio.canSpeak) {
      try {
        return await this.audio.speak(text);
      } catch (err) {
        notes.push(`text not spoken: ${(err as Error).message}`);
      }
    }
    return null;
  }
}

function outcome(row: CapMessageEntity, duplicate: boolean): CapOutcome {
  return { status: row.answerStatus, answer: { messageId: row.id, state: row.state, reason: row.reason, alertIds: row.alertIds, duplicate } };
}
