import { Injectable, UnauthorizedException } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { capMessagesPath, type CapSourceCreated, type CapSourceView, type createCapSourceSchema, type updateCapSourceSchema } from '@loa/shared/rest';
import type { z } from 'zod';
import { Clock } from '../common/clock.js';
import { newId, randomToken } from '../common/ids.js';
import { isoOrNull } from '../common/iso.js';
import type { CapSourceEntity } from './cap.entities.js';
import { CapRepository } from './cap.repository.js';
import { badRequest, notFound } from '../common/loa-error.js';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Admin CRUD of CAP sources, and the check of a push source's credential. */
@Injectable()
export class CapSourcesService {
  constructor(
    private readonly repo: CapRepository,
    private readonly clock: Clock,
  ) {}

  async list(): Promise<CapSourceView[]> {
    return (await this.repo.listSources()).map(sourceView);
  }

  async get(id: string): Promise<CapSourceView> {
    return sourceView(await this.require(id));
  }

  async require(id: string): Promise<CapSourceEntity> {
    const s = await this.repo.findSource(id);
    if (!s) throw notFound('cap-source.not-found', { id });
    return s;
  }

  async create(body: z.output<typeof createCapSourceSchema>): Promise<CapSourceCreated> {
    const secret = body.kind === 'push' ? randomToken(32) : null;
    const s: CapSourceEntity = {
      id: newId(),
      name: body.name,
      kind: body.kind,
      enabled: body.enabled,
      feedUrl: body.feedUrl ?? null,
      pollIntervalS: body.pollIntervalS,
      feedAuth: body.feedAuth,
      secretHash: secret === null ? null : sha256(secret),
      trusted: body.trusted,
      allowTest: body.allowTest,
      priorityRules: body.priorityRules,
      geocodeNames: body.geocodeNames,
      speakDescription: body.speakDescription,
      defaultExpiresS: body.defaultExpiresS,
      resourceOrigins: body.resourceOrigins,
      lastPolledAt: null,
      lastPollError: null,
      createdAt: this.clock.now(),
    };
    await this.repo.saveSource(s);
    return { ...sourceView(s), secret };
  }

  async update(id: string, body: z.output<typeof updateCapSourceSchema>): Promise<CapSourceView | CapSourceCreated> {
    const s = await this.require(id);
    const { rotateSecret, ...fields } = body;
    const next: CapSourceEntity = { ...s };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) (next as unknown as Record<string, unknown>)[k] = v;
    if (next.kind === 'feed' && !next.feedUrl) throw badRequest('cap-source.feed-url');
    let secret: string | null = null;
    if (rotateSecret) {
      if (s.kind !== 'push') throw badRequest('cap-source.push-only');
      secret = randomToken(32);
      next.secretHash = sha256(secret);
    }
    await this.repo.saveSource(next);
    return secret === null ? sourceView(next) : { ...sourceView(next), secret };
  }

  async remove(id: string): Promise<void> {
    if (!(await this.repo.deleteSource(id))) throw notFound('cap-source.not-found', { id });
  }

  /**
   * Who is pushing: `Authorization: Bearer <secret>` or Basic `<source id>:<secret>`. Every failure is the same
   * 401 for an unknown source, a feed source, a disabled one or a wrong secret, so nothing is learnt by probing.
   */
  async authenticate(id: string, authorization: string | undefined): Promise<CapSourceEntity> {
    const refuse = (): never => {
      throw new UnauthorizedException('CAP source credential missing or wrong: send Authorization: Bearer <secret> (or Basic with the source id and the secret)');
    };
    const presented = secretOf(id, authorization);
    const s = /^[0-9a-f-]{36}$/i.test(id) ? await this.repo.findSource(id) : null;
    if (!s || s.kind !== 'push' || !s.enabled || !s.secretHash || presented === null) return refuse();
    const a = Buffer.from(sha256(presented), 'hex');
    const b = Buffer.from(s.secretHash, 'hex');
    if (a.length !== b.length || !timingSafeEqual(a, b)) return refuse();
    return s;
  }
}

function secretOf(id: string, authorization: string | undefined): string | null {
  if (!authorization) return null;
  const [scheme, value] = authorization.trim().split(/\s+/, 2);
  if (!value) return null;
  if (/^bearer$/i.test(scheme!)) return value;
  if (/^basic$/i.test(scheme!)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0 || decoded.slice(0, colon) !== id) return null;
    return decoded.slice(colon + 1);
  }
  return null;
}

export function sourceView(s: CapSourceEntity): CapSourceView {
  return {
    id: s.id,
    name: s.name,
    kind: s.kind,
    enabled: s.enabled,
    feedUrl: s.feedUrl,
    pollIntervalS: s.pollIntervalS,
    feedAuthType: s.feedAuth?.type ?? 'none',
    feedUsername: s.feedAuth?.type === 'basic' ? s.feedAuth.username : null,
    trusted: s.trusted,
    allowTest: s.allowTest,
    priorityRules: s.priorityRules,
    geocodeNames: s.geocodeNames,
    speakDescription: s.speakDescription,
    defaultExpiresS: s.defaultExpiresS,
    resourceOrigins: s.resourceOrigins,
    pushUrl: capMessagesPath(s.id),
    hasSecret: s.secretHash !== null,
    lastPolledAt: isoOrNull(s.lastPolledAt),
    lastPollError: s.lastPollError,
    createdAt: new Date(s.createdAt).toISOString(),
  };
}
