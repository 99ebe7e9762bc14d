import { Injectable } from '@nestjs/common';
import { TTS_DICTIONARY_MAX_ENTRIES, type TtsDictionaryEntryInput, type TtsDictionaryEntryPatch, type TtsDictionaryEntryView } from '@loa/shared/rest';
import { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
import { conflict, notFound, unprocessable } from '../common/loa-error.js';
import type { TtsDictionaryEntity } from './tts-dictionary.entity.js';
import { TtsDictionaryRepository } from './tts-dictionary.repository.js';
import type { PronunciationEntry } from './vi-dictionary.js';

const toView = (e: TtsDictionaryEntity): TtsDictionaryEntryView => ({
  id: e.id,
  term: e.term,
  spoken: e.spoken,
  caseSensitive: e.term !== e.term.toLocaleLowerCase('vi'),
  note: e.note,
  createdBy: e.createdBy,
  createdAt: new Date(e.createdAt).toISOString(),
  updatedAt: e.updatedAt === null ? null : new Date(e.updatedAt).toISOString(),
});

/**
 * The installation's pronunciation dictionary (issue 19 item 9). Read from the database on every synthesis and
 * preview: the table is small, and reading it each time means every server instance applies an edit at once.
 * Only administrators reach the writing routes (the controller's @Roles).
 */
@Injectable()
export class TtsDictionaryService {
  constructor(
    private readonly repo: TtsDictionaryRepository,
    private readonly clock: Clock,
  ) {}

  async list(): Promise<TtsDictionaryEntryView[]> {
    return (await this.repo.all()).map(toView);
  }

  /** What the normaliser needs. */
  async entries(): Promise<PronunciationEntry[]> {
    return this.repo.pairs();
  }

  async create(input: TtsDictionaryEntryInput, userId: string): Promise<TtsDictionaryEntryView> {
    const term = input.term.normalize('NFC');
    if (await this.repo.hasTerm(term)) throw conflict('tts.dictionary-duplicate', { term });
    if ((await this.repo.count()) >= TTS_DICTIONARY_MAX_ENTRIES) throw unprocessable('tts.dictionary-full', { max: TTS_DICTIONARY_MAX_ENTRIES });
    const row: TtsDictionaryEntity = {
      id: newId(),
      term,
      spoken: input.spoken.normalize('NFC'),
      note: input.note ?? null,
      createdBy: userId,
      createdAt: this.clock.now(),
      updatedAt: null,
    };
    await this.repo.insert(row);
    return toView(row);
  }

  async update(id: string, patch: TtsDictionaryEntryPatch): Promise<TtsDictionaryEntryView> {
    const row = await this.repo.byId(id);
    if (!row) throw notFound('tts.dictionary-not-found', { id });
    if (patch.term !== undefined) {
      const term = patch.term.normalize('NFC');
      if (term !== row.term && (await this.repo.hasTerm(term))) throw conflict('tts.dictionary-duplicate', { term });
      row.term = term;
    }
    if (patch.spoken !== undefined) row.spoken = patch.spoken.normalize('NFC');
    if (patch.note !== undefined) row.note = patch.note ?? null;
    row.updatedAt = this.clock.now();
    await this.repo.update(id, { term: row.term, spoken: row.spoken, note: row.note, updatedAt: row.updatedAt });
    return toView(row);
  }

  async remove(id: string): Promise<void> {
    if (!(await this.repo.hasId(id))) throw notFound('tts.dictionary-not-found', { id });
    await this.repo.delete(id);
  }
}
