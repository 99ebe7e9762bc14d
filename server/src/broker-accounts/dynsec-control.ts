import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../common/clock.js';
import type { Metrics } from '../common/metrics.js';
import type { AppLogger } from '../logging/logger.js';

/** Where the dynamic-security plugin takes commands and answers them (Mosquitto 2.0). */
export const DYNSEC_TOPIC = '$CONTROL/dynamic-security/v1';
export const DYNSEC_RESPONSE_TOPIC = `${DYNSEC_TOPIC}/response`;

/** One plugin command, e.g. `{ command: 'createClient', username, password, roles }`. */
export interface DynsecCommand {
  readonly command: string;
  readonly [field: string]: unknown;
}

/**
 * What came of one command: the plugin's answer (`ok` false with its `error` text, e.g. "Client already exists"), or
 * `answered: false` when it never answered (not sent, timed out, stopping): then it may or may not have been applied.
 */
export type DynsecOutcome = { readonly ok: true; readonly data: unknown } | { readonly ok: false; readonly answered: boolean; readonly error: string };

/** The MQTT side: publish a command message, receive every response message (see DynsecControl). */
export interface ControlTransport {
  publish(payload: Buffer): Promise<void>;
  /** Starts delivering the response topic's messages to `handler` (a non-shared subscription: every instance's). */
  listen(handler: (payload: Buffer) => void): Promise<void>;
  /** Changes whenever the connection to the broker was lost: responses may have been missed, subscriptions renewed. */
  connectionEpoch(): number;
}

export interface DynsecControlTiming {
  /** How long one message's answer is awaited before its commands count as unanswered. */
  readonly responseTimeoutMs: number;
  /** How long commands wait for the plugin to answer at all (start-up: the response subscription comes with open()). */
  readonly readyTimeoutMs: number;
  readonly pingIntervalMs: number;
  /** Messages are sized to cost the broker about this much: it serves nobody else while it runs one. */
  readonly targetMessageMs: number;
  readonly maxCommandsPerMessage: number;
  readonly maxMessageBytes: number;
}

export const DYNSEC_CONTROL_TIMING: DynsecControlTiming = {
  responseTimeoutMs: 60_000,
  readyTimeoutMs: 30_000,
  pingIntervalMs: 250,
  targetMessageMs: 500,
  maxCommandsPerMessage: 500,
  // Under the broker's max_packet_size (deploy/mosquitto/loa.conf: 1 MB).
  maxMessageBytes: 256 * 1024,
};

const responsesSchema = z.object({
  responses: z.array(
    z.object({
      command: z.string(),
      error: z.string().optional(),
      data: z.unknown().optional(),
      correlationData: z.string().optional(),
    }),
  ),
});

interface Waiter {
  readonly resolve: (outcome: DynsecOutcome) => void;
}

interface Queued extends Waiter {
  readonly command: DynsecCommand;
  readonly json: string;
}

const NOT_ANSWERED = (error: string): DynsecOutcome => ({ ok: false, answered: false, error });

/**
 * The dynamic-security plugin's command channel. Commands are queued and sent many per message (one PUBLISH, one
 * response message), one message at a time: the plugin works synchronously inside the broker, so a message in
 * flight is already all the broker can do, and other clients' traffic is served between messages. Message size
 * adapts so one costs the broker about `targetMessageMs` (Mosquitto 2.0 rewrites its whole JSON file after every
 * changing command, so a command's cost grows with the number of accounts).
 *
 * Each command carries a `correlationData` unique to this process (the plugin echoes it in its answer): every server
 * instance subscribes to the one response topic and picks out its own answers. Before the first command, and after
 * each reconnection, a read-only `getDefaultACLAccess` is sent until answered: the response subscription is live
 * (at start-up it only starts once the broker connection opens to device traffic).
 *
 * Never rejects: an outcome says what became of each command.
 */
export class DynsecControl {
  private readonly queue: Queued[] = [];
  private readonly waiting = new Map<string, Waiter>();
  private readonly prefix: string;
  private seq = 0;
  private flushing = false;
  private closed = false;
  private listening: Promise<void> | null = null;
  private readyEpoch: number | null = null;
  /** Broker time per command of the recent messages (moving average), to size the next message. */
  private msPerCommand: number | null = null;

  constructor(
    private readonly transport: ControlTransport,
    instanceId: string,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly logger: AppLogger,
    private readonly timing: DynsecControlTiming = DYNSEC_CONTROL_TIMING,
  ) {
    this.prefix = `loa:${instanceId}:${randomBytes(4).toString('hex')}:`;
  }

  /** Queues the command; it leaves with the others queued in the same tick. */
  send(command: DynsecCommand): Promise<DynsecOutcome> {
    if (this.closed) return Promise.resolve(NOT_ANSWERED('the server is stopping'));
    return new Promise((resolve) => {
      this.queue.push({ command, json: JSON.stringify(command), resolve });
      this.schedule();
    });
  }

  /** Sends these in order (usually in one message); outcomes in the same order. */
  sendAll(commands: readonly DynsecCommand[]): Promise<DynsecOutcome[]> {
    return Promise.all(commands.map((c) => this.send(c)));
  }

  /** Answers every queued and waiting command "not answered"; later sends are answered so at once. */
  close(): void {
    this.closed = true;
    for (const q of this.queue.splice(0)) q.resolve(NOT_ANSWERED('the server is stopping'));
    for (const w of this.waiting.values()) w.resolve(NOT_ANSWERED('the server is stopping'));
    this.waiting.clear();
  }

  private schedule(): void {
    if (this.flushing) return;
    this.flushing = true;
    // Commands queued synchronously together (a bulk registration's) leave in the same message.
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.closed) {
        if (!(await this.ready())) {
          const dropped = this.queue.splice(0);
          this.metrics.inc('dynsec_unanswered', dropped.length);
          for (const q of dropped) q.resolve(NOT_ANSWERED(`the broker's dynamic-security plugin did not answer within ${this.timing.readyTimeoutMs / 1000} s`));
          break;
        }
        await this.exchange(this.nextMessage());
      }
    } catch (err) {
      // Nothing above throws by design; a bug must not leave commands waiting forever.
      this.logger.error({ ctx: 'dynsec', err: (err as Error).message }, 'dynamic-security command loop failed');
      for (const q of this.queue.splice(0)) q.resolve(NOT_ANSWERED((err as Error).message));
    } finally {
      this.flushing = false;
      if (this.queue.length > 0 && !this.closed) this.schedule();
    }
  }

  private nextMessage(): Queued[] {
    const perCommand = this.msPerCommand;
    const wanted = perCommand === null ? 50 : Math.round(this.timing.targetMessageMs / Math.max(perCommand, 0.01));
    const limit = Math.max(1, Math.min(this.timing.maxCommandsPerMessage, wanted));
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && n < limit) {
      bytes += this.queue[n]!.json.length + 64;
      if (n > 0 && bytes > this.timing.maxMessageBytes) break;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private async exchange(batch: Queued[]): Promise<void> {
    const ids = batch.map(() => this.nextId());
    const answered = batch.map(
      (q, i) =>
        new Promise<void>((done) => {
          this.waiting.set(ids[i]!, {
            resolve: (outcome) => {
              q.resolve(outcome);
              done();
            },
          });
        }),
    );
    const payload = `{"commands":[${batch.map((q, i) => `${q.json.slice(0, -1)},"correlationData":${JSON.stringify(ids[i])}}`).join(',')}]}`;
    const started = this.clock.now();
    this.metrics.inc('dynsec_messages');
    this.metrics.inc('dynsec_commands', batch.length);
    try {
      await this.transport.publish(Buffer.from(payload));
    } catch (err) {
      this.giveUp(ids, `not sent to the broker: ${(err as Error).message}`);
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timing.responseTimeoutMs);
    });
    const result = await Promise.race([Promise.all(answered), timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      // The subscription may have been lost with the connection: check it again before the next message.
      this.readyEpoch = null;
      this.giveUp(ids, `no answer from the broker within ${this.timing.responseTimeoutMs / 1000} s (the command may have been applied)`);
      return;
    }
    const perCommand = (this.clock.now() - started) / batch.length;
    this.msPerCommand = this.msPerCommand === null ? perCommand : this.msPerCommand * 0.7 + perCommand * 0.3;
  }

  private giveUp(ids: readonly string[], error: string): void {
    let n = 0;
    for (const id of ids) {
      const w = this.waiting.get(id);
      if (!w) continue;
      this.waiting.delete(id);
      w.resolve(NOT_ANSWERED(error));
      n++;
    }
    if (n > 0) {
      this.metrics.inc('dynsec_unanswered', n);
      this.logger.error({ ctx: 'dynsec', commands: n, err: error }, 'dynamic-security commands unanswered');
    }
  }

  /** The response subscription is live and the plugin answers (once per connection). */
  private async ready(): Promise<boolean> {
    const epoch = this.transport.connectionEpoch();
    if (this.readyEpoch === epoch) return true;
    try {
      this.listening ??= this.transport.listen((payload) => this.receive(payload));
      await this.listening;
    } catch (err) {
      this.listening = null;
      this.logger.error({ ctx: 'dynsec', err: (err as Error).message }, `could not subscribe to ${DYNSEC_RESPONSE_TOPIC}`);
      return false;
    }
    const deadline = this.clock.now() + this.timing.readyTimeoutMs;
    let interval = this.timing.pingIntervalMs;
    let lastError: string | null = null;
    while (this.clock.now() < deadline && !this.closed) {
      const id = this.nextId();
      const answered = new Promise<boolean>((resolve) => this.waiting.set(id, { resolve: () => resolve(true) }));
      const ping = `{"commands":[{"command":"getDefaultACLAccess","correlationData":${JSON.stringify(id)}}]}`;
      let timer: NodeJS.Timeout | undefined;
      const elapsed = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), interval);
      });
      const sent = this.transport.publish(Buffer.from(ping)).then(
        () => true,
        (err: Error) => {
          lastError = err.message;
          return false;
        },
      );
      const ok = (await sent) && (await Promise.race([answered, elapsed]));
      clearTimeout(timer);
      this.waiting.delete(id);
      if (ok) {
        this.readyEpoch = epoch;
        return true;
      }
      if (!(await sent)) await elapsed;
      interval = Math.min(interval * 2, 2_000);
    }
    if (!this.closed) {
      this.logger.error(
        { ctx: 'dynsec', err: lastError ?? 'no answer' },
        'the broker\'s dynamic-security plugin does not answer: is it loaded, and may LOA_MQTT_USERNAME publish to $CONTROL/dynamic-security/# and subscribe to its responses? (deploy/mosquitto/README.md)',
      );
    }
    return false;
  }

  private receive(payload: Buffer): void {
    let parsed: z.infer<typeof responsesSchema>;
    try {
      const r = responsesSchema.safeParse(JSON.parse(payload.toString('utf8')));
      if (!r.success) return;
      parsed = r.data;
    } catch {
      return;
    }
    for (const r of parsed.responses) {
      // Other instances' answers, and answers to commands already given up, are not ours to settle.
      if (r.correlationData === undefined || !r.correlationData.startsWith(this.prefix)) continue;
      const w = this.waiting.get(r.correlationData);
      if (!w) continue;
      this.waiting.delete(r.correlationData);
      if (r.error === undefined) {
        w.resolve({ ok: true, data: r.data });
      } else {
        this.metrics.inc('dynsec_refused');
        w.resolve({ ok: false, answered: true, error: r.error });
      }
    }
  }

  private nextId(): string {
    return `${this.prefix}${++this.seq}`;
  }
}
