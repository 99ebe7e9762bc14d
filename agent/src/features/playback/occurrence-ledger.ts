import { join } from 'node:path';
import type { PlaybackEventType } from '@loa/shared';
import { readJsonIfExists, writeJsonAtomic } from '../../fsutil.js';

/** What the agent has already done about one occurrence; the last report wins. */
export interface OccurrenceRecord {
  state: PlaybackEventType;
  at: number;
  /** When the occurrence's window ends; records of long-gone slots are pruned. */
  endsAt: number;
}

/**
 * Persistent "already handled" ledger, so a restart neither replays an occurrence nor reports it twice.
 */
export class OccurrenceLedger {
  private records = new Map<string, OccurrenceRecord>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly dir: string) {}

  get file(): string {
    return join(this.dir, 'occurrences.json');
  }

  async load(): Promise<void> {
    const raw = await readJsonIfExists(this.file).catch(() => undefined);
    this.records = new Map();
    if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
      for (const [id, rec] of Object.entries(raw as Record<string, OccurrenceRecord>)) {
        if (rec && typeof rec.state === 'string' && typeof rec.at === 'number') this.records.set(id, rec);
      }
    }
  }

  get(occurrenceId: string): OccurrenceRecord | undefined {
    return this.records.get(occurrenceId);
  }

  /** Updates memory at once and the file in order; resolves when this change is on disk. */
  set(occurrenceId: string, rec: OccurrenceRecord): Promise<void> {
    this.records.set(occurrenceId, rec);
    return this.flush();
  }

  /** Forgets occurrences that are neither in `keep` nor recent (their window ended more than `graceMs` ago). */
  prune(keep: ReadonlySet<string>, now: number, graceMs = 7 * 86_400_000): Promise<void> {
    for (const [id, rec] of this.records) if (!keep.has(id) && rec.endsAt < now - graceMs) this.records.delete(id);
    return this.flush();
  }

  private flush(): Promise<void> {
    const p = this.chain.then(() => writeJsonAtomic(this.file, Object.fromEntries(this.records)));
    this.chain = p.catch(() => undefined);
    return p;
  }

  get size(): number {
    return this.records.size;
  }
}
