import { join } from 'node:path';
import { timelineMessageSchema, type TimelineMessage } from '@loa/shared';
import { readJsonIfExists, writeJsonAtomic } from '../../fsutil.js';

/**
 * The last accepted timeline, kept on disk so the executor can run from it after a restart with no
 * network. Written atomically: a crash leaves the previous version, never half a file.
 */
export class TimelineStore {
  private current: TimelineMessage | null = null;

  constructor(private readonly dir: string) {}

  get file(): string {
    return join(this.dir, 'timeline.json');
  }

  async load(): Promise<TimelineMessage | null> {
    const raw = await readJsonIfExists(this.file).catch(() => undefined);
    const parsed = timelineMessageSchema.safeParse(raw);
    this.current = raw !== undefined && parsed.success ? parsed.data : null;
    return this.current;
  }

  get timeline(): TimelineMessage | null {
    return this.current;
  }

  get version(): number | undefined {
    return this.current?.version;
  }

  async save(t: TimelineMessage): Promise<void> {
    await writeJsonAtomic(this.file, t);
    this.current = t;
  }
}
