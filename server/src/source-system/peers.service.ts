import { Injectable } from '@nestjs/common';
import {
  createPeerSchema,
  updatePeerSchema,
  type PeerAuthView,
  type PeerTemplates,
  type SourcePeerCreated,
  type SourcePeerView,
} from '@loa/shared/rest';
import type { z } from 'zod';
import type { UserPrincipal } from '../auth/principal.js';
import { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import type { SourcePeerEntity } from './peer.entity.js';
import { SourcePeers, type PeerOutboundAuth, type PeerRecord } from './peers.port.js';
import { PeersRepository } from './peers.repository.js';
import { newPeerSecret } from './signing.js';
import { compileTemplate, TemplateError } from './templates.js';
import { badRequest, notFound } from '../common/loa-error.js';

type CreatePeer = z.output<typeof createPeerSchema>;
type UpdatePeer = z.output<typeof updatePeerSchema>;

export function toPeerRecord(p: SourcePeerEntity): PeerRecord {
  return {
    id: p.id,
    name: p.name,
    kind: p.kind,
    role: p.role,
    up: p.role === 'upper',
    down: p.role === 'lower',
    enabled: p.enabled,
    baseUrl: p.baseUrl,
    remotePeerId: p.remotePeerId,
    inboundSecret: p.inboundSecret,
    outboundSecret: p.outboundSecret,
    outboundAuth: p.auth,
  };
}

function authView(a: PeerOutboundAuth): PeerAuthView {
  switch (a.type) {
    case 'none':
      return { type: 'none' };
    case 'api-key':
      return { type: 'api-key', header: a.header };
    case 'basic':
      return { type: 'basic', username: a.username };
    case 'oauth2':
      return { type: 'oauth2', tokenUrl: a.tokenUrl, clientId: a.clientId, scope: a.scope, clientAuth: a.clientAuth ?? 'basic' };
  }
}

/** Every template of a peer must parse: a broken one is a 400 at save time, not a dead exchange at 3 a.m. */
function checkTemplates(templates: PeerTemplates): void {
  for (const [kind, t] of Object.entries(templates)) {
    if (!t) continue;
    try {
      compileTemplate(t.path);
      if (t.body !== null) compileTemplate(t.body);
    } catch (err) {
      if (err instanceof TemplateError) throw badRequest('peer.template', { kind, detail: err.message });
      throw err;
    }
  }
}

/**
 * Peers: admins manage them (the controller admits admins only); the connector reads them, secrets included,
 * through the SourcePeers port. The inbound secret is minted here and answered once (create, rotation).
 */
@Injectable()
export class PeersService extends SourcePeers {
  constructor(
    private readonly repo: PeersRepository,
    private readonly tx: TransactionRunner,
    private readonly clock: Clock,
  ) {
    super();
  }

  async get(peerId: string): Promise<PeerRecord | null> {
    const p = await this.repo.find(peerId);
    return p ? toPeerRecord(p) : null;
  }

  async all(): Promise<PeerRecord[]> {
    return (await this.repo.list()).map(toPeerRecord);
  }

  /** The stored row (templates, push and pull settings) for the adapters and the feeds. */
  entity(peerId: string): Promise<SourcePeerEntity | null> {
    return this.repo.find(peerId);
  }

  entities(): Promise<SourcePeerEntity[]> {
    return this.repo.list();
  }

  async list(): Promise<SourcePeerView[]> {
    const [peers, counts] = await Promise.all([this.repo.list(), this.repo.counts()]);
    return peers.map((p) => this.view(p, counts.get(p.id) ?? {}));
  }

  async one(id: string): Promise<SourcePeerView> {
    const p = await this.repo.find(id);
    if (!p) throw notFound('peer.not-found', { id });
    return this.view(p, (await this.repo.counts()).get(p.id) ?? {});
  }

  async create(input: CreatePeer, user: UserPrincipal): Promise<SourcePeerCreated> {
    checkTemplates(input.templates);
    const now = this.clock.now();
    const peer: SourcePeerEntity = {
      id: newId(),
      name: input.name,
      kind: input.kind,
      role: input.role,
      enabled: input.enabled,
      baseUrl: input.baseUrl,
      remotePeerId: input.remotePeerId,
      inboundSecret: newPeerSecret(),
      outboundSecret: input.outboundSecret,
      auth: input.auth,
      push: input.push,
      templates: input.templates,
      pull: input.pull,
      timeoutMs: input.timeoutMs,
      createdBy: user.userId,
      createdAt: now,
      updatedAt: now,
    };
    await this.repo.insert(peer);
    return { ...this.view(peer, {}), inboundSecret: peer.inboundSecret };
  }

  /** Answers the view, plus the new inbound secret when it was rotated. */
  async update(id: string, patch: UpdatePeer): Promise<SourcePeerView | SourcePeerCreated> {
    if (patch.templates) checkTemplates(patch.templates);
    return this.tx.run(async () => {
      const p = await this.repo.find(id);
      if (!p) throw notFound('peer.not-found', { id });
      if (patch.name !== undefined) p.name = patch.name;
      if (patch.role !== undefined) p.role = patch.role;
      if (patch.enabled !== undefined) p.enabled = patch.enabled;
      if (patch.baseUrl !== undefined) p.baseUrl = patch.baseUrl;
      if (patch.remotePeerId !== undefined) p.remotePeerId = patch.remotePeerId;
      if (patch.outboundSecret !== undefined) p.outboundSecret = patch.outboundSecret;
      if (patch.auth !== undefined) p.auth = patch.auth;
      if (patch.push !== undefined) p.push = patch.push;
      if (patch.templates !== undefined) p.templates = patch.templates;
      if (patch.pull !== undefined) p.pull = patch.pull;
      if (patch.timeoutMs !== undefined) p.timeoutMs = patch.timeoutMs;
      if (patch.rotateInboundSecret) p.inboundSecret = newPeerSecret();
      p.updatedAt = this.clock.now();
      await this.repo.save(p);
      const view = this.view(p, (await this.repo.counts()).get(p.id) ?? {});
      return patch.rotateInboundSecret ? { ...view, inboundSecret: p.inboundSecret } : view;
    });
  }

  async remove(id: string): Promise<void> {
    if (!(await this.tx.run(() => this.repo.remove(id)))) throw notFound('peer.not-found', { id });
  }

  private view(p: SourcePeerEntity, counts: Record<string, number>): SourcePeerView {
    return {
      id: p.id,
      name: p.name,
      kind: p.kind,
      role: p.role,
      enabled: p.enabled,
      baseUrl: p.baseUrl,
      remotePeerId: p.remotePeerId,
      hasOutboundSecret: p.outboundSecret !== null,
      auth: authView(p.auth),
      push: p.push,
      templates: p.templates,
      pull: p.pull,
      timeoutMs: p.timeoutMs,
      createdAt: new Date(p.createdAt).toISOString(),
      updatedAt: new Date(p.updatedAt).toISOString(),
      counts,
    };
  }
}
