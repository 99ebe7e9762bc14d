import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { commandResultMessageSchema, epochMsSchema, opaqueIdSchema, type CommandResultMessage } from '@loa/shared';
import { readJsonIfExists, writeJsonAtomic } from '../../fsutil.js';

/**
 * A command id and send stamp are remembered this long past the command's expiry before they are forgotten, so a
 * clock corrected backwards a little cannot make a forgotten, expired command look new again.
 */
export const JOURNAL_GRACE_MS = 10 * 60_000;

const entrySchema = z.object({
  id: opaqueIdSchema,
  type: z.string().max(32),
  /** The latest send accepted (a copy with this stamp or an older one is a replay). */
  sentAt: epochMsSchema,
  expiresAt: epochMsSchema,
  /** Absent while the command runs (or if the agent died running it). */
  result: commandResultMessageSchema.optional(),
});
export type JournalEntry = z.infer<typeof entrySchema>;

/**
 * Every command accepted by this device: id, latest send stamp, expiry and result. One small file per command in
 * `<dataDir>/commands/`, each written atomically (tmp, fsync, rename), so a crash never loses or tears what was
 * recorded before it; files are deleted once the command has expired (plus a grace).
 */
export class CommandJournal {
  private readonly entries = new Map<string, JournalEntry>();

  constructor(private readonly dir: string) {}

  /** Reads what is on disk; unreadable files are dropped (a command then looks new, and only if unexpired). */
  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.entries.clear();
    for (const name of await readdir(this.dir)) {
      // Left by a crash in the middle of an atomic write: the previous file (if any) is intact.
      if (name.endsWith('.tmp')) await unlink(join(this.dir, name)).catch(() => undefined);
      if (!name.endsWith('.json')) continue;
      const raw = await readJsonIfExists(join(this.dir, name)).catch(() => undefined);
      const parsed = entrySchema.safeParse(raw);
      if (parsed.success) this.entries.set(parsed.data.id, parsed.data);
      else await unlink(join(this.dir, name)).catch(() => undefined);
    }
  }

  get(id: string): JournalEntry | undefined {
    const e = this.entries.get(id);
    return e ? { ...e } : undefined;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Records a command before it runs. */
  accept(entry: Omit<JournalEntry, 'result'>): Promise<void> {
    return this.save({ ...entry });
  }

  /** Records a genuine resend (newer stamp). */
  async resent(id: string, sentAt: number): Promise<void> {
    const e = this.entries.get(id);
    if (e) await this.save({ ...e, sentAt });
  }

  async finish(id: string, result: CommandResultMessage): Promise<void> {
    const e = this.entries.get(id);
    if (e) await this.save({ ...e, result });
  }

  /** Forgets commands whose expiry (plus the grace) has passed. */
  async prune(now: number): Promise<number> {
    let n = 0;
    for (const e of [...this.entries.values()]) {
      if (e.expiresAt + JOURNAL_GRACE_MS >= now) continue;
      this.entries.delete(e.id);
      await unlink(this.fileOf(e.id)).catch(() => undefined);
      n++;
    }
    return n;
  }

  private async save(e: JournalEntry): Promise<void> {
    await writeJsonAtomic(this.fileOf(e.id), e);
    this.entries.set(e.id, e);
  }

  /** Ids are opaque ids ([A-Za-z0-9:._-]); the suffix keeps "." and ".." from naming a directory. */
  private fileOf(id: string): string {
    return join(this.dir, `${id}.json`);
  }
}
