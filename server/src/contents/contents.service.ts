import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
import type { ContentEntity, ContentType } from '../database/entities.js';
import { ContentsRepository } from './contents.repository.js';
import { isoOrNull as iso } from '../common/iso.js';

interface Validity {
  validFrom?: number | undefined;
  validUntil?: number | undefined;
}

export type CreateContentInput = Validity &
  (
    | { type: 'audio'; title: string; mediaSha256: string }
    | { type: 'text'; title: string; text: string; displaySeconds: number }
    | { type: 'relay'; title: string; url: string; durationSeconds: number }
  );

export interface ContentView {
  id: string;
  type: ContentType;
  title: string;
  mediaSha256: string | null;
  text: string | null;
  url: string | null;
  durationMs: number;
  validFrom: string | null;
  validUntil: string | null;
  createdBy: string;
  createdAt: string;
}


export const contentView = (c: ContentEntity): ContentView => ({
  id: c.id,
  type: c.type,
  title: c.title,
  mediaSha256: c.mediaSha256,
  text: c.text,
  url: c.url ?? null,
  durationMs: c.durationMs,
  validFrom: iso(c.validFrom),
  validUntil: iso(c.validUntil),
  createdBy: c.createdBy,
  createdAt: new Date(c.createdAt).toISOString(),
});

/**
 * A bulletin (audio for speakers), a message (text for boards) or a live relay of an upstream stream (speakers).
 * Approval arrives with the content lifecycle.
 */
@Injectable()
export class ContentsService {
  constructor(
    private readonly repo: ContentsRepository,
    private readonly clock: Clock,
  ) {}

  async create(input: CreateContentInput, userId: string): Promise<ContentView> {
    if (input.validFrom !== undefined && input.validUntil !== undefined && input.validUntil <= input.validFrom) {
      throw new BadRequestException('validUntil must be after validFrom');
    }
    let durationMs: number;
    if (input.type === 'audio') {
      const media = await this.repo.findMedia(input.mediaSha256);
      if (!media) throw new BadRequestException(`unknown media ${input.mediaSha256}: upload it first (POST /api/v1/media)`);
      durationMs = media.durationMs;
    } else if (input.type === 'text') {
      durationMs = Math.round(input.displaySeconds * 1000);
    } else {
      durationMs = Math.round(input.durationSeconds * 1000);
    }
    const content: ContentEntity = {
      id: newId(),
      type: input.type,
      title: input.title,
      mediaSha256: input.type === 'audio' ? input.mediaSha256 : null,
      text: input.type === 'text' ? input.text : null,
      url: input.type === 'relay' ? input.url : null,
      durationMs,
      validFrom: input.validFrom ?? null,
      validUntil: input.validUntil ?? null,
      createdBy: userId,
      createdAt: this.clock.now(),
    };
    await this.repo.insert(content);
    return contentView(content);
  }

  async get(id: string): Promise<ContentView> {
    const c = await this.repo.find(id);
    if (!c) throw new NotFoundException(`content ${id} not found`);
    return contentView(c);
  }

  async list(): Promise<ContentView[]> {
    return (await this.repo.list()).map(contentView);
  }
}
