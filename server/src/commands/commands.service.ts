import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import {
  MAX_COMMAND_TTL_MS,
  type Command,
  type CommandResultMessage,
  type DeviceKind,
  type Priority,
  type StatusMessage,
} from '@loa/shared';
import { Batcher } from '../common/batcher.js';
import { Clock } from '../common/clock.js';
import { isoOrNull as iso } from '../common/iso.js';
import { Metrics } from '../common/metrics.js';
import { AppConfig } from '../config/app-config.js';
import { NamedLocks } from '../common/named-locks.js';
import { DeviceGateway } from '../device-gateway/device-gateway.js';
import { PresenceReader } from '../devices/presence-reader.js';
import { DomainEvents } from '../domain-events/domain-events.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { FanoutJobs, type FanoutRun } from '../fanouts/fanout-jobs.js';
import type { CommandResultEntity, CommandState } from './command-result.entity.js';
import type { CommandEntity, CommandTargetKind } from './command.entity.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { requireApproved } from '../contents/content-lifecycle.js';
import { TargetResolver } from '../targeting/target-resolver.js';
import type { TargetDevice } from '../targeting/targets.repository.js';
import { RENDERS } from '../targeting/targeting.js';
import { compileSlots } from '../timelines/timeline-compiler.js';
import { timeOrderedId } from './command-id.js';
import { CommandsRepository, type PendingRow, type ResultUpdate, type SentMark } from './commands.repository.js';
import { COMMAND_STATES, type CommandCreated, type CommandDetail, type CommandResultView, type CommandView, type DeviceCommandView, type Page } from '@loa/shared/rest';
import { badRequest, notFound } from '../common/loa-error.js';
export type { CommandCreated, CommandDetail, CommandResultView, CommandView, DeviceCommandView, Page } from '@loa/shared/rest';

/** playNow as an operator gives it: the server turns the content into a slot, as timelines do. */
export interface OperatorPlayNow {
  type: 'playNow';
  contentId: string;
  priority?: Priority | undefined;
  volume?: number | undefined;
}
export type OperatorCommand = Exclude<Command, { type: 'playNow' }> | OperatorPlayNow;
export type CommandTarget = { deviceId: string } | { groupId: string } | { areaCode: string };

export interface CreateCommandInput {
  command: OperatorCommand;
  target: CommandTarget;
  /** Seconds the command may wait for an offline device (default AppConfig.commandTtlMs). */
  ttlS?: number | undefined;
}

export type StateCounts = Record<CommandState, number>;

/** Priority of an operator's playNow when none is given: above routine programming, below emergencies. */
export const PLAY_NOW_DEFAULT_PRIORITY: Priority = 'priority';
/** A sent command without an answer is sent again (to an online device) after this long, a few times at most. */
export const RESEND_AFTER_MS = 60_000;
export const MAX_SENDS = 3;
const RESEND_BATCH = 1000;
const PUBLISH_CHUNK = 1000;
/** Devices a command's fan-out queues and sends to per step (under the send lock, so reconnects interleave). */
const FANOUT_CHUNK = 1000;
/** One command's fan-out at a time: a device must get two commands in the order they were given. */
const FANOUT_LOCK = 'commands.fanout';
/** One lock for every send: a batch of sends spans many devices and commands. */
const SEND_LOCK = 'commands.send';

/**
 * Remote commands. A command is stored with one row per target device (queued), published signed on `req` to the
 * devices online now and to the others when they next come online; answers on `res` close the rows; an expiry
 * sweep closes what was never answered in time, and expired rows are never sent. All sends go through one lock,
 * so two sends of a command to a device never share a `sentAt` (the agent would take the second for a replay).
 */
@Injectable()
export class CommandsService implements OnModuleDestroy {
  private readonly comingOnline = new Batcher<string>((ids) => this.serial(() => this.deliverPending(ids)));
  private readonly answers = new Batcher<{ deviceId: string; msg: CommandResultMessage }>((items) => this.commitResults(items));

  constructor(
    private readonly repo: CommandsRepository,
    private readonly gateway: DeviceGateway,
    private readonly locks: NamedLocks,
    private readonly presence: PresenceReader,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
    private readonly events: DomainEvents,
    private readonly targets: TargetResolver,
    private readonly tx: TransactionRunner,
    private readonly fanouts: FanoutJobs,
  ) {}

  async onModuleDestroy(): Promise<void> {
    await this.comingOnline.drain();
    await this.answers.drain();
    // Waits for the sends already queued behind the lock.
    await this.serial(async () => undefined);
  }

  // ---- operator side ------------------------------------------------------------------------------------------

  /**
   * Issue 14: validates (content, TTL, a target with devices: 400 otherwise), stores the command with one queued row
   * per target device (multi-row INSERTs: what the command reaches, what scoped readers are checked against, and
   * what devices coming online are sent) and its fan-out job, and answers; the job (`fanOut`) sends it to the
   * devices online in the background.
   */
  async create(input: CreateCommandInput, userId: string): Promise<CommandCreated> {
    const ttlMs = input.ttlS === undefined ? this.config.commandTtlMs : input.ttlS * 1000;
    if (ttlMs <= 0 || ttlMs > MAX_COMMAND_TTL_MS) throw badRequest('command.ttl-range', { max: MAX_COMMAND_TTL_MS / 1000 });
    const resolved = await this.resolveCommand(input.command);
    const devices = await this.resolveTarget(input.target, resolved.kind);
    const now = this.clock.now();
    const id = timeOrderedId(now);
    const command: Command = resolved.command.type === 'playNow' ? playNowFor(resolved.command, id, now) : resolved.command;
    const [targetKind, targetRef] = targetOf(input.target);
    const entity: CommandEntity = {
      id,
      type: command.type,
      payload: JSON.stringify(command),
      targetKind,
      targetRef,
      deviceCount: devices.length,
      createdBy: userId,
      createdAt: now,
      expiresAt: now + ttlMs,
    };
    const areaCode = await this.fanouts.commonArea(targetKind === 'area' ? [targetRef] : [], targetKind === 'area' ? [] : devices.map((d) => d.id));
    const job = await this.tx.run(async () => {
      await this.repo.insertCommand(entity);
      await this.repo.insertResults(entity, devices.map((d) => d.id), now);
      return this.fanouts.add({ kind: 'command', ref: id, total: devices.length, areaCode, createdBy: userId });
    });
    this.metrics.inc('commands_created');
    this.metrics.inc('commands_fanned_out', devices.length);
    this.logger.info({ ctx: 'commands', commandId: id, type: command.type, target: input.target, devices: devices.length, fanoutId: job.id }, 'command created');
    return { ...this.view(entity, { queued: devices.length }), fanout: this.fanouts.start(job) };
  }

  /**
   * A command's fan-out (run by CommandFanout, again after a crash): sends it to the devices online, step by step
   * under the send lock (devices coming online meanwhile are served in between); the others get it when they next
   * come online. Only rows still queued are sent, so a device that came online meanwhile (and got it then), or one a
   * first run reached before a crash, is not sent it twice.
   */
  async fanOut(run: FanoutRun): Promise<void> {
    await this.locks.run(FANOUT_LOCK, async () => {
      run.phase('sending');
      const deviceIds = await this.repo.deviceIdsOf(run.job.ref);
      run.setTotal(deviceIds.length);
      for (let i = 0; i < deviceIds.length; i += FANOUT_CHUNK) {
        run.checkpoint();
        const chunk = deviceIds.slice(i, i + FANOUT_CHUNK);
        const online = await this.serial(async () => {
          const now = this.clock.now();
          const found = await this.presence.onlineAmong(chunk);
          await this.send(await this.repo.queuedOf(run.job.ref, [...found], now), now);
          return found.size;
        });
        run.advance(chunk.length, chunk.length - online);
      }
    });
  }

  /** 404 unless the command is readable in the subtree (`scopePath`, null: everything). */
  async checkReadable(id: string, scopePath: string | null): Promise<void> {
    const command = await this.repo.find(id);
    if (!command || (scopePath !== null && !(await this.repo.readableIn(id, scopePath)))) throw notFound('command.not-found', { id });
  }

  /** `scopePath`: a subtree's LIKE pattern, for a scoped reader (null: everything). */
  async list(limit: number, offset: number, scopePath: string | null = null): Promise<Page<CommandView>> {
    const { items, total } = await this.repo.list(limit, offset, scopePath);
    const counts = await this.repo.countsByState(items.map((c) => c.id));
    return { total, limit, offset, items: items.map((c) => this.view(c, counts.get(c.id))) };
  }

  async get(id: string, f: { state?: CommandState | undefined; limit: number; offset: number }, scopePath: string | null = null): Promise<CommandDetail> {
    const command = await this.repo.find(id);
    if (!command || (scopePath !== null && !(await this.repo.readableIn(id, scopePath)))) throw notFound('command.not-found', { id });
    const counts = (await this.repo.countsByState([id])).get(id);
    const { items, total } = await this.repo.results(id, f);
    return { ...this.view(command, counts), results: { total, limit: f.limit, offset: f.offset, items: items.map(resultView) } };
  }

  async forDevice(deviceId: string, limit: number, offset: number): Promise<Page<DeviceCommandView>> {
    if (!(await this.repo.deviceExists(deviceId))) throw notFound('device.not-found', { id: deviceId });
    const { items, total } = await this.repo.forDevice(deviceId, limit, offset);
    return {
      total,
      limit,
      offset,
      items: items.map(({ result, command }) => ({
        commandId: command.id,
        type: command.type as Command['type'],
        command: JSON.parse(command.payload) as Command,
        createdAt: new Date(command.createdAt).toISOString(),
        expiresAt: new Date(command.expiresAt).toISOString(),
        ...resultView(result),
      })),
    };
  }

  // ---- device side ----------------------------------------------------------------------------------------------

  /** A device came online: whatever it is still owed goes out (batched with others coming online together). */
  async handleStatus(deviceId: string, msg: StatusMessage): Promise<void> {
    if (msg.state === 'online') await this.comingOnline.submit(deviceId);
  }

  /** An answer on `res`; answers arriving together are committed together. */
  handleResult(deviceId: string, msg: CommandResultMessage): Promise<void> {
    return this.answers.submit({ deviceId, msg });
  }

  /**
   * Expires open rows past their expiry, then sends again what online devices left unanswered for a while (a send
   * can be lost when a device's session was not subscribed yet, e.g. right after a broker restart).
   */
  async sweep(): Promise<{ expired: number; resent: number }> {
    const expired = await this.repo.expire(this.clock.now());
    if (expired > 0) {
      this.metrics.inc('commands_expired', expired);
      this.logger.info({ ctx: 'commands', expired }, 'commands expired before an answer');
    }
    const resent = await this.serial(async () => {
      const now = this.clock.now();
      const unanswered = await this.repo.unanswered(now - RESEND_AFTER_MS, now, MAX_SENDS, RESEND_BATCH);
      const online = await this.presence.onlineAmong([...new Set(unanswered.map((r) => r.deviceId))]);
      const rows = unanswered.filter((r) => online.has(r.deviceId));
      await this.send(rows, now);
      return rows.length;
    });
    if (resent > 0) this.metrics.inc('commands_resent', resent);
    return { expired, resent };
  }

  // ---- internals ------------------------------------------------------------------------------------------------

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.locks.run(SEND_LOCK, fn);
  }

  private async deliverPending(deviceIds: string[]): Promise<void> {
    const now = this.clock.now();
    const rows = await this.repo.pendingFor([...new Set(deviceIds)], now);
    if (rows.length === 0) return;
    await this.send(rows, now);
    this.metrics.inc('commands_sent_on_reconnect', rows.length);
    this.logger.info({ ctx: 'commands', devices: new Set(rows.map((r) => r.deviceId)).size, commands: rows.length }, 'queued commands sent to devices that came online');
  }

  /**
   * Publishes each row signed, in the given (creation) order, then records the sends in batched statements. A row
   * sent before gets a later `sentAt`: that is how the agent tells a resend from a replay.
   */
  private async send(rows: readonly PendingRow[], now: number): Promise<void> {
    const marks: SentMark[] = [];
    for (let i = 0; i < rows.length; i += PUBLISH_CHUNK) {
      const chunk = rows.slice(i, i + PUBLISH_CHUNK);
      await Promise.all(
        chunk.map(async (r) => {
          const sentAt = Math.max(now, (r.sentAt ?? -1) + 1);
          try {
            await this.gateway.sendCommand({ commandId: r.commandId, deviceId: r.deviceId, sentAt, expiresAt: r.expiresAt, command: r.payload });
            marks.push({ commandId: r.commandId, deviceId: r.deviceId, sentAt });
          } catch (err) {
            this.metrics.inc('commands_publish_failed');
            this.logger.warn({ ctx: 'commands', commandId: r.commandId, deviceId: r.deviceId, err: (err as Error).message }, 'command publish failed; it stays queued');
          }
        }),
      );
    }
    await this.repo.markSent(marks, now);
    this.metrics.inc('commands_sent', marks.length);
  }

  private async commitResults(items: Array<{ deviceId: string; msg: CommandResultMessage }>): Promise<void> {
    const updates: ResultUpdate[] = [];
    for (const { deviceId, msg } of items) {
      this.metrics.inc(`commands_result_${msg.status}`);
      // A replayed copy the agent refused says nothing about the command itself; the agent reported it on `security`.
      if (msg.status === 'rejected' && msg.data?.reason === 'replay') {
        this.metrics.inc('commands_replay_reported');
        this.logger.warn({ ctx: 'commands', deviceId, commandId: msg.id }, 'device refused a replayed command');
        continue;
      }
      if (msg.status !== 'ok') this.logger.warn({ ctx: 'commands', deviceId, commandId: msg.id, status: msg.status, message: msg.message }, 'command not carried out');
      updates.push({ commandId: msg.id, deviceId, state: msg.status, message: msg.message ?? null, data: (msg.data as Record<string, unknown> | undefined) ?? null });
    }
    if (updates.length === 0) return;
    try {
      const changed = await this.repo.applyResults(updates, this.clock.now());
      // Unknown ids, another device's command, or a row already closed (answered, expired).
      if (changed < updates.length) this.metrics.inc('commands_result_ignored', updates.length - changed);
      this.events.emit('command.results', {
        results: updates.map((u) => ({ commandId: u.commandId, deviceId: u.deviceId, status: u.state, ...(u.message === null && u.data === null ? {} : { result: { message: u.message, data: u.data } }) })),
      });
    } catch (err) {
      this.metrics.inc('commands_result_commit_failed', updates.length);
      this.logger.error({ ctx: 'commands', err: (err as Error).message, results: updates.length }, 'command results not stored');
      throw err;
    }
  }

  private async resolveCommand(c: OperatorCommand): Promise<{ command: Exclude<Command, { type: 'playNow' }> | ResolvedPlayNow; kind: DeviceKind | null }> {
    if (c.type !== 'playNow') return { command: c, kind: null };
    const found = await this.repo.content(c.contentId);
    if (!found) throw badRequest('content.unknown', { id: c.contentId });
    const { content, media } = found;
    requireApproved(content, 'played');
    if (content.type === 'image') throw badRequest('content.image-no-play-now', { id: c.contentId });
    const now = this.clock.now();
    if ((content.validFrom ?? -Infinity) > now || (content.validUntil ?? Infinity) <= now) throw badRequest('content.not-valid-now', { id: c.contentId });
    return {
      command: { type: 'playNow', content, media, priority: c.priority ?? PLAY_NOW_DEFAULT_PRIORITY, volume: c.volume ?? null },
      kind: RENDERS[content.type],
    };
  }

  /** Target devices, deduplicated and sorted; playNow keeps only those that can render the content. */
  private resolveTarget(target: CommandTarget, kind: DeviceKind | null): Promise<TargetDevice[]> {
    return this.targets.resolveOne(target, kind);
  }

  private view(c: CommandEntity, counts: Partial<StateCounts> | undefined): CommandView {
    const command = JSON.parse(c.payload) as Command;
    return {
      id: c.id,
      type: command.type,
      command,
      target: targetView(c.targetKind, c.targetRef),
      createdBy: c.createdBy,
      createdAt: new Date(c.createdAt).toISOString(),
      expiresAt: new Date(c.expiresAt).toISOString(),
      devices: c.deviceCount,
      counts: Object.fromEntries(COMMAND_STATES.map((s) => [s, counts?.[s] ?? 0])) as StateCounts,
    };
  }
}

interface ResolvedPlayNow {
  type: 'playNow';
  content: NonNullable<Awaited<ReturnType<CommandsRepository['content']>>>['content'];
  media: NonNullable<Awaited<ReturnType<CommandsRepository['content']>>>['media'];
  priority: Priority;
  volume: number | null;
}

/** The slot a playNow carries: compiled exactly as a timeline slot would be, as a one-off occurrence of its own. */
function playNowFor(p: ResolvedPlayNow, commandId: string, now: number): Command {
  const { content, media } = p;
  const [slot] = compileSlots([
    {
      deviceId: '',
      occurrenceId: `cmd-${commandId}`,
      scheduleId: `cmd-${commandId}`,
      startAt: now,
      // One play of the content: its media's length, or a text's display time.
      durationMs: content.durationMs,
      priority: p.priority,
      volume: p.volume,
      onPreempt: null,
      repeat: 1,
      gapMs: 0,
      contentId: content.id,
      contentType: content.type,
      url: content.url ?? null,
      title: content.title,
      text: content.text,
      mediaSha256: media?.sha256 ?? null,
      mediaBytes: media?.bytes ?? null,
      mediaMime: media?.mime ?? null,
      mediaDurationMs: media?.durationMs ?? null,
    },
  ]);
  if (!slot) throw badRequest('content.unplayable', { id: content.id });
  return { type: 'playNow', slot };
}

const targetOf = (t: CommandTarget): [CommandTargetKind, string] =>
  'deviceId' in t ? ['device', t.deviceId] : 'groupId' in t ? ['group', t.groupId] : ['area', t.areaCode];

const targetView = (kind: CommandTargetKind, ref: string): CommandTarget =>
  kind === 'device' ? { deviceId: ref } : kind === 'group' ? { groupId: ref } : { areaCode: ref };

const resultView = (r: CommandResultEntity): CommandResultView => ({
  deviceId: r.deviceId,
  state: r.state,
  sentAt: iso(r.sentAt),
  attempts: r.attempts,
  resultAt: iso(r.resultAt),
  message: r.message,
  data: r.data,
  updatedAt: new Date(r.updatedAt).toISOString(),
});

