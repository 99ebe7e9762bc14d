import { join } from 'node:path';
import {
  commandMessageSchema,
  commandResultMessageSchema,
  deviceTopic,
  MAX_PAYLOAD_BYTES,
  PROTOCOL_VERSION,
  type Command,
  type CommandMessage,
  type CommandResultMessage,
  type CommandType,
  type SecurityReason,
} from '@loa/shared';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import { CommandJournal } from './command-journal.js';
import { errorMessage } from '../../fsutil.js';
import type { MessageGuard } from '../../router/guard.js';

/** JSON a result may carry (the `data` of commandResultMessageSchema). */
export type ResultData = Record<string, unknown>;

/** What a handler returns: output for the answer, and something to do once the answer is out (restart). */
export interface CommandOutcome {
  data?: ResultData;
  after?: () => void | Promise<void>;
}

/** Thrown by a handler that refuses a command before doing anything (e.g. not supported on this kind of device). */
export class CommandRejectedError extends Error {
  override name = 'CommandRejectedError';
}

export type CommandHandlers = { [K in CommandType]: (command: Extract<Command, { type: K }>) => Promise<CommandOutcome> };

export interface CommandsOptions {
  deviceId: string;
  dataDir: string;
  /** The corrected (server) clock: expiry is judged on it. */
  clock: Clock;
  logger: Logger;
  /** Verifies the signature; receives freshness refusals (wrong device, expired, replay) to report. */
  guard: Pick<MessageGuard, 'open' | 'reject'>;
  handlers: CommandHandlers;
  /** Publishes on `res`; false when offline (the server sends the command again later, and gets the stored answer). */
  publish: (result: CommandResultMessage) => Promise<boolean>;
}

/** Room left for the signed envelope and MQTT framing around a result. */
const MAX_RESULT_BYTES = MAX_PAYLOAD_BYTES - 4096;

/**
 * Remote commands (`req` → `res`). Each message is verified (guard), checked for freshness, run once and answered
 * exactly once per delivery:
 * - not for this device, or expired → `rejected` (and reported on `security`), never run;
 * - an id already accepted with the same (or an older) `sentAt` → a replay: `rejected`, reported, not run;
 * - an id already accepted with a newer `sentAt` → the server's resend (it never saw the answer): the stored answer
 *   goes out again, nothing runs twice;
 * - otherwise it is journalled (on disk) before it runs, and its answer journalled before it is published.
 * Commands run one at a time in arrival order; a throwing handler answers `error`, never crashes the agent.
 */
export class Commands {
  private journal: CommandJournal | null = null;
  private chain: Promise<void> = Promise.resolve();
  private running = false;

  constructor(private readonly opts: CommandsOptions) {}

  get topic(): string {
    return deviceTopic(this.opts.deviceId, 'req');
  }

  async start(): Promise<void> {
    const journal = new CommandJournal(join(this.opts.dataDir, 'commands'));
    await journal.load();
    await journal.prune(this.opts.clock.now());
    this.journal = journal;
    this.running = true;
  }

  /** Stops taking commands and waits for the one running (the server sends unanswered ones again later). */
  async stop(): Promise<void> {
    this.running = false;
    await this.chain;
  }

  /** A payload received on `req`, still to be verified. Never throws. */
  receive(payload: Buffer): void {
    this.enqueue(async () => {
      const msg = this.opts.guard.open(commandMessageSchema, this.topic, payload);
      // Refused and reported by the guard; nothing trustworthy to answer to.
      if (msg) await this.handle(msg);
    });
  }

  /** A command the router has already verified (signature and schema). Never throws. */
  receiveVerified(msg: CommandMessage): void {
    this.enqueue(() => this.handle(msg));
  }

  private enqueue(task: () => Promise<void>): void {
    if (!this.running) {
      this.opts.logger.info('command received while stopping; ignored (the server sends it again)');
      return;
    }
    this.chain = this.chain.then(() => task().catch((err: unknown) => this.opts.logger.error({ err: errorMessage(err) }, 'command handling failed')));
  }

  /** Resolves when every command received so far has been handled (tests). */
  idle(): Promise<void> {
    return this.chain;
  }

  private async handle(msg: CommandMessage): Promise<void> {
    const journal = this.journal;
    if (!journal) return;
    const { clock, logger } = this.opts;
    const log = logger.child({ commandId: msg.id, type: msg.command.type });

    if (msg.deviceId !== this.opts.deviceId) {
      await this.refuse(msg, 'wrong-device', `addressed to ${msg.deviceId}`);
      return;
    }
    const known = journal.get(msg.id);
    if (known) {
      if (msg.sentAt <= known.sentAt) {
        await this.refuse(msg, 'replay', `already received with sentAt ${known.sentAt} (this copy: ${msg.sentAt})`);
        return;
      }
      await journal.resent(msg.id, msg.sentAt);
      let result = known.result;
      if (!result) {
        // Accepted but never finished: the agent stopped while running it. It is not run again.
        result = this.result(msg, 'error', { message: 'interrupted: the agent stopped while running this command' });
        await journal.finish(msg.id, result);
      }
      log.info({ status: result.status }, 'command sent again by the server; answering with the stored result');
      await this.publish(result);
      return;
    }
    if (msg.expiresAt <= clock.now()) {
      await this.refuse(msg, 'expired', `expired at ${new Date(msg.expiresAt).toISOString()}`);
      return;
    }

    await journal.accept({ id: msg.id, type: msg.command.type, sentAt: msg.sentAt, expiresAt: msg.expiresAt });
    log.info('running command');
    const { result, after } = await this.execute(msg);
    await journal.finish(msg.id, result);
    log.info({ status: result.status, message: result.message }, 'command done');
    await this.publish(result);
    void journal.prune(clock.now()).catch(() => undefined);
    if (after) {
      // Outside the chain: `after` may stop this very feature (restart), which waits for the chain.
      setImmediate(() => {
        void Promise.resolve()
          .then(after)
          .catch((err: unknown) => logger.error({ err: errorMessage(err) }, 'post-command action failed'));
      });
    }
  }

  private async execute(msg: CommandMessage): Promise<{ result: CommandResultMessage; after?: () => void | Promise<void> }> {
    try {
      const handler = this.opts.handlers[msg.command.type] as (c: Command) => Promise<CommandOutcome>;
      const out = await handler(msg.command);
      return { result: this.result(msg, 'ok', out.data ? { data: out.data } : {}), ...(out.after ? { after: out.after } : {}) };
    } catch (err) {
      const rejected = err instanceof CommandRejectedError;
      return { result: this.result(msg, rejected ? 'rejected' : 'error', { message: errorMessage(err) || 'failed' }) };
    }
  }

  private async refuse(msg: CommandMessage, reason: SecurityReason, detail: string): Promise<void> {
    this.opts.guard.reject(this.topic, reason, detail, msg.id);
    await this.publish(this.result(msg, 'rejected', { message: `${reason}: ${detail}`, data: { reason } }));
  }

  /** A schema-valid answer that fits in one message: oversized or non-JSON data is dropped, with a note. */
  private result(msg: CommandMessage, status: CommandResultMessage['status'], extra: { message?: string; data?: ResultData }): CommandResultMessage {
    const base: CommandResultMessage = { v: PROTOCOL_VERSION, id: msg.id, at: this.opts.clock.now(), status, ...(extra.message ? { message: extra.message.slice(0, 1000) } : {}) };
    if (!extra.data) return base;
    const full = commandResultMessageSchema.safeParse({ ...base, data: extra.data });
    if (!full.success) return { ...base, status: 'error', message: `invalid result data: ${full.error.message}`.slice(0, 1000) };
    const size = Buffer.byteLength(JSON.stringify(full.data));
    if (size > MAX_RESULT_BYTES) return { ...base, message: `${base.message ? `${base.message}; ` : ''}result data of ${size} bytes dropped (over ${MAX_RESULT_BYTES})`.slice(0, 1000) };
    return full.data;
  }

  private async publish(result: CommandResultMessage): Promise<void> {
    const sent = await this.opts.publish(result).catch(() => false);
    if (!sent) this.opts.logger.warn({ commandId: result.id, status: result.status }, 'command answer not sent (offline); the server sends the command again and gets it then');
  }
}
