import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MAX_EVENTS_PER_BATCH, playbackEventSchema, type PlaybackEvent } from '@loa/shared';
import { writeFileAtomic } from '../../fsutil.js';

/** A fresh, topic-safe, practically unique event id, minted once per report and kept across resends. */
export const newEventId = (now: number = Date.now()): string => `${now.toString(36)}-${randomBytes(6).toString('hex')}`;

type JournalLine = { add: PlaybackEvent } | { del: string[] };

/**
 * Durable queue of playback reports. Each report is appended to a journal and fsync'd before `add`
 * resolves, so a kill -9 right after cannot lose it; only ids the server acknowledged are ever removed.
 * The journal is compacted (atomic rewrite) when it carries many dead lines.
 */
export class Outbox {
  private readonly events = new Map<string, PlaybackEvent>();
  private fh: FileHandle | null = null;
  private deadLines = 0;
  // Appends and compaction must not interleave, or a compaction could drop a concurrent append.
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(readonly file: string) {}

  static async open(dir: string, fileName = 'outbox.jsonl'): Promise<Outbox> {
    await mkdir(dir, { recursive: true });
    const box = new Outbox(join(dir, fileName));
    await box.load();
    return box;
  }

  private async load(): Promise<void> {
    let text = '';
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    let lines = 0;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      lines++;
      let rec: JournalLine;
      try {
        rec = JSON.parse(line) as JournalLine;
      } catch {
        continue; // a torn final line from a crash mid-append; its add never resolved
      }
      if ('add' in rec) {
        const ev = playbackEventSchema.safeParse(rec.add);
        if (ev.success) this.events.set(ev.data.id, ev.data);
      } else if ('del' in rec && Array.isArray(rec.del)) {
        for (const id of rec.del) this.events.delete(id);
      }
    }
    this.deadLines = lines - this.events.size;
    if (this.deadLines > 0) await this.compact();
    this.fh = await open(this.file, 'a');
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async append(rec: JournalLine): Promise<void> {
    if (!this.fh) throw new Error('outbox is closed');
    await this.fh.appendFile(`${JSON.stringify(rec)}\n`);
    await this.fh.sync();
  }

  /** Resolves once the event is on disk. */
  add(event: PlaybackEvent): Promise<void> {
    const ev = playbackEventSchema.parse(event);
    return this.serial(async () => {
      await this.append({ add: ev });
      this.events.set(ev.id, ev);
    });
  }

  /** Removes exactly the acknowledged ids that are present; returns how many were removed. */
  ack(ids: readonly string[]): Promise<number> {
    return this.serial(async () => {
      const present = ids.filter((id) => this.events.has(id));
      if (present.length === 0) return 0;
      await this.append({ del: present });
      for (const id of present) this.events.delete(id);
      this.deadLines += present.length * 2;
      if (this.deadLines > 1000 && this.deadLines > this.events.size) await this.compactLocked();
      return present.length;
    });
  }

  private async compactLocked(): Promise<void> {
    await this.fh?.close();
    this.fh = null;
    await this.compact();
    this.fh = await open(this.file, 'a');
  }

  private async compact(): Promise<void> {
    const body = [...this.events.values()].map((ev) => `${JSON.stringify({ add: ev })}\n`).join('');
    await writeFileAtomic(this.file, body);
    this.deadLines = 0;
  }

  get size(): number {
    return this.events.size;
  }

  has(id: string): boolean {
    return this.events.has(id);
  }

  /** Pending events, oldest first. */
  pending(): PlaybackEvent[] {
    return [...this.events.values()];
  }

  /** Pending events split into protocol-sized batches. */
  batches(max: number = MAX_EVENTS_PER_BATCH, events: PlaybackEvent[] = this.pending()): PlaybackEvent[][] {
    const size = Math.max(1, Math.min(max, MAX_EVENTS_PER_BATCH));
    const out: PlaybackEvent[][] = [];
    for (let i = 0; i < events.length; i += size) out.push(events.slice(i, i + size));
    return out;
  }

  close(): Promise<void> {
    return this.serial(async () => {
      await this.fh?.close();
      this.fh = null;
    });
  }
}
