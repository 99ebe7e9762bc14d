import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
import type { ContentEntity } from '../database/entities.js';
import { ContentsRepository } from './contents.repository.js';

export type CreateContentInput =
  | { type: 'audio'; title: string; mediaSha256: string }
  | { type: 'text'; title: string; text: string; displaySeconds: number };

export interface ContentView {
  id: string;
  type: 'audio' | 'text';
  title: string;
  mediaSha256: string | null;
  text: string | null;
  durationMs: number;
  createdBy: string;
  createdAt: string;
}

export const contentView = (c: ContentEntity): ContentView => ({
  id: c.id,
  type: c.type,
  title: c.title,
  mediaSha256: c.mediaSha256,
  text: c.text,
  durationMs: c.durationMs,
  createdBy: c.createdBy,
  createdAt: new Date(c.createdAt).toISOString(),
});

/** A bulletin (audio for speakers) or a message (text for boards). Approval arrives with the content lifecycle. */
@Injectable()
export class ContentsService {
  constructor(
    private readonly repo: ContentsRepository,
    private readonly clock: Clock,
  ) {}

  async create(input: CreateContentInput, userId: string): Promise<ContentView> {
    let durationMs: number;
    if (input.type === 'audio') {
      const media = await this.repo.findMedia(input.mediaSha256);
      if (!media) throw new BadRequestException(`unknown media ${input.mediaSha256}: upload it first (POST /api/v1/media)`);
      durationMs = media.durationMs;
    } else {
      durationMs = Math.round(input.displaySeconds * 1000);
    }
    const content: ContentEntity = {
      id: newId(),
      type: input.type,
      title: input.title,
      mediaSha256: input.type === 'audio' ? input.mediaSha256 : null,
      text: input.type === 'text' ? input.text : null,
      durationMs,
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
