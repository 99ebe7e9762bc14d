import { pino, type Logger } from 'pino';

/**
 * The agent's last log lines in memory, for an operator's collectLogs: bounded in lines and in characters per
 * line, so it costs at most capacity × maxLineChars whatever the agent logs.
 */
export class LogRing {
  private readonly lines: string[] = [];
  private next = 0;

  constructor(
    readonly capacity = 1000,
    readonly maxLineChars = 2000,
  ) {}

  /** A pino destination: each write is one JSON line. */
  write(chunk: string): void {
    for (const raw of chunk.split('\n')) {
      if (raw.length === 0) continue;
      const line = raw.length > this.maxLineChars ? `${raw.slice(0, this.maxLineChars)}…` : raw;
      if (this.lines.length < this.capacity) this.lines.push(line);
      else this.lines[this.next] = line;
      this.next = (this.next + 1) % this.capacity;
    }
  }

  get size(): number {
    return this.lines.length;
  }

  /**
   * The last `n` lines, oldest first, as many as fit in `maxBytes` once JSON-encoded (the newest are kept):
   * `truncated` says whether fewer than asked were returned for that reason.
   */
  tail(n: number, maxBytes: number): { lines: string[]; truncated: boolean } {
    const ordered = this.lines.length < this.capacity ? this.lines : [...this.lines.slice(this.next), ...this.lines.slice(0, this.next)];
    const wanted = ordered.slice(Math.max(0, ordered.length - Math.max(0, n)));
    const out: string[] = [];
    let bytes = 2;
    for (let i = wanted.length - 1; i >= 0; i--) {
      const line = wanted[i]!;
      const size = Buffer.byteLength(JSON.stringify(line)) + 1;
      if (bytes + size > maxBytes) return { lines: out.reverse(), truncated: true };
      bytes += size;
      out.push(line);
    }
    return { lines: out.reverse(), truncated: false };
  }
}

/** The ring every logger made by createLogger tees into (one agent per process in production). */
export const agentLogRing = new LogRing();

/**
 * JSON lines on stdout; credentials are redacted wherever they appear in a logged object. Every line also goes to
 * `ring` (default: agentLogRing; null for none), after redaction.
 */
export function createLogger(level = 'info', destination?: pino.DestinationStream, ring: LogRing | null = agentLogRing): Logger {
  const opts: pino.LoggerOptions = {
    level,
    base: { app: 'loa-agent' },
    redact: { paths: ['secret', 'password', '*.secret', '*.password', 'config.secret', 'headers.authorization'], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (!ring || level === 'silent') return destination ? pino(opts, destination) : pino(opts);
  const streamLevel = level as pino.Level;
  return pino(
    opts,
    pino.multistream([
      // Synchronous stdout, as pino's default: lines logged right before an exit are not lost.
      { level: streamLevel, stream: destination ?? pino.destination({ dest: 1, sync: true }) },
      { level: streamLevel, stream: ring },
    ]),
  );
}

export type { Logger };
