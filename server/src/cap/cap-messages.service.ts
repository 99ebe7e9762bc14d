import { Injectable } from '@nestjs/common';
import type { CapMessagePage, CapMessageQuery, CapMessageView } from '@loa/shared/rest';
import { isoOrNull } from '../common/iso.js';
import type { CapMessageEntity } from './cap.entities.js';
import { CapRepository } from './cap.repository.js';
import { notFound } from '../common/loa-error.js';

/** The record of received messages: what was taken, what was refused and why. */
@Injectable()
export class CapMessagesService {
  constructor(private readonly repo: CapRepository) {}

  async page(q: CapMessageQuery): Promise<CapMessagePage> {
    const { items, total } = await this.repo.pageMessages(q);
    return { items: items.map(messageView), total };
  }

  async raw(id: string): Promise<string> {
    const xml = await this.repo.rawXml(id);
    if (xml === null) throw notFound('cap.message-not-found', { id });
    return xml;
  }
}

export const messageView = (m: CapMessageEntity): CapMessageView => ({
  id: m.id,
  sourceId: m.sourceId,
  via: m.via,
  sender: m.sender,
  identifier: m.identifier,
  sent: m.sent,
  msgType: m.msgType,
  status: m.status,
  headline: m.headline,
  state: m.state,
  reason: m.reason,
  alertIds: m.alertIds,
  receivedAt: isoOrNull(m.receivedAt) ?? '',
});
