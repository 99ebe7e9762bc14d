import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { ContentEntity } from '../contents/content.entity.js';
import { DeviceEntity } from '../devices/device.entity.js';
import { MediaEntity } from '../media/media.entity.js';
import { CommandResultEntity, type CommandState } from './command-result.entity.js';
import { CommandEntity } from './command.entity.js';
import { insertIgnoring } from '../database/bulk-insert.js';
import { padToShape } from '../database/statement-shape.js';
import { managerOf } from '../database/transaction-runner.js';

const CHUNK = 500;
const chunks = <T>(items: readonly T[], size = CHUNK): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};


/** A command still owed to a device (queued, or sent without an answer), with what to send. */
export interface PendingRow {
  commandId: string;
  deviceId: string;
  expiresAt: number;
  sentAt: number | null;
  attempts: number;
  payload: string;
}

/** A device's answer, reduced to what is stored. */
export interface ResultUpdate {
  commandId: string;
  deviceId: string;
  state: Extract<CommandState, 'ok' | 'error' | 'rejected'>;
  message: string | null;
  data: Record<string, unknown> | null;
}

export interface SentMark {
  commandId: string;
  deviceId: string;
  sentAt: number;
}

const OPEN_STATES: CommandState[] = ['queued', 'sent'];

/**
 * SQL: command `c` is readable in the subtree bound as `:scopePath` when every device it was sent to lies there now
 * (so its counts and per-device rows show nothing from elsewhere, whatever its group became or wherever a device
 * moved since) and, for an area target, that area lies there too.
 */
const READABLE_IN_SUBTREE = `(
  NOT EXISTS (SELECT 1 FROM command_results sr LEFT JOIN devices sd ON sd.id = sr.device_id LEFT JOIN areas sa ON sa.code = sd.area_code
              WHERE sr.command_id = c.id AND (sa.path IS NULL OR sa.path NOT LIKE :scopePath))
  AND (c.target_kind <> 'area' OR EXISTS (SELECT 1 FROM areas ta WHERE ta.code = c.target_ref AND ta.path LIKE :scopePath))
)`;

@Injectable()
export class CommandsRepository {
  constructor(private readonly db: DataSource) {}

  async content(id: string): Promise<{ content: ContentEntity; media: MediaEntity | null } | null> {
    const content = await this.db.getRepository(ContentEntity).findOneBy({ id });
    if (!content) return null;
    const media = content.mediaSha256 ? await this.db.getRepository(MediaEntity).findOneBy({ sha256: content.mediaSha256 }) : null;
    return { content, media };
  }

  // ---- writes -------------------------------------------------------------------------------------------------

  /** The command and one queued row per device, in one transaction, with multi-row INSERTs. */
  async insert(command: CommandEntity, deviceIds: readonly string[], now: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.getRepository(CommandEntity).insert(command);
      await insertIgnoring(
        tx,
        'command_results',
        ['command_id', 'device_id', 'state', 'expires_at', 'attempts', 'updated_at'],
        deviceIds.map((d) => [command.id, d, 'queued', command.expiresAt, 0, now]),
      );
    });
  }

  /** Issue 14: the command alone (its rows follow from its fan-out); joins the caller's transaction. */
  async insertCommand(command: CommandEntity): Promise<void> {
    await managerOf(this.db).getRepository(CommandEntity).insert(command);
  }

  /** One queued row per device, multi-row INSERTs, rows already there left alone; joins the caller's transaction. */
  async insertResults(command: CommandEntity, deviceIds: readonly string[], now: number): Promise<void> {
    await insertIgnoring(
      managerOf(this.db),
      'command_results',
      ['command_id', 'device_id', 'state', 'expires_at', 'attempts', 'updated_at'],
      deviceIds.map((d) => [command.id, d, 'queued', command.expiresAt, 0, now]),
    );
  }

  /** The devices a command was queued for, in id order. */
  async deviceIdsOf(commandId: string): Promise<string[]> {
    const rows = await this.db.createQueryBuilder().select('r.device_id', 'deviceId').from('command_results', 'r').where('r.command_id = :commandId', { commandId }).orderBy('r.device_id', 'ASC').getRawMany<{ deviceId: string }>();
    return rows.map((r) => r.deviceId);
  }

  /** This command's rows still queued (never sent) and unexpired for these devices, with what to send. */
  async queuedOf(commandId: string, deviceIds: readonly string[], now: number): Promise<PendingRow[]> {
    const out: PendingRow[] = [];
    for (const c of chunks(deviceIds)) {
      const rows = await this.db
        .createQueryBuilder()
        .select(['r.command_id AS "commandId"', 'r.device_id AS "deviceId"', 'r.expires_at AS "expiresAt"', 'r.sent_at AS "sentAt"', 'r.attempts AS "attempts"', 'c.payload AS "payload"'])
        .from('command_results', 'r')
        .innerJoin('commands', 'c', 'c.id = r.command_id')
        .where('r.command_id = :commandId', { commandId })
        .andWhere('r.device_id IN (:...c)', { c })
        .andWhere("r.state = 'queued'")
        .andWhere('r.expires_at > :now', { now })
        .orderBy('r.device_id', 'ASC')
        .getRawMany<Record<string, unknown>>();
      out.push(...rows.map(pendingRow));
    }
    return out;
  }

  /**
   * Marks rows sent, one statement per (command, sentAt) and chunk of devices — a fan-out to 10,000 devices is
   * twenty statements. Rows already answered or expired meanwhile are left alone.
   */
  async markSent(marks: readonly SentMark[], now: number): Promise<void> {
    const groups = new Map<string, { commandId: string; sentAt: number; devices: string[] }>();
    for (const m of marks) {
      const key = `${m.commandId}|${m.sentAt}`;
      const g = groups.get(key);
      if (g) g.devices.push(m.deviceId);
      else groups.set(key, { commandId: m.commandId, sentAt: m.sentAt, devices: [m.deviceId] });
    }
    if (groups.size === 0) return;
    await this.db.transaction(async (tx) => {
      for (const g of groups.values()) {
        for (const c of chunks(g.devices)) {
          await tx
            .createQueryBuilder()
            .update(CommandResultEntity)
            .set({ state: 'sent', sentAt: g.sentAt, attempts: () => 'attempts + 1', updatedAt: now })
            .where('command_id = :id AND device_id IN (:...c) AND state IN (:...open)', { id: g.commandId, c, open: OPEN_STATES })
            .execute();
        }
      }
    });
  }

  /**
   * Applies answers in one transaction, only to rows still open (queued or sent) of the answering device. Answers
   * alike (same command, state, message and data — the usual fan-out case) share one statement. Returns how many
   * rows changed, so the caller can count ignored answers.
   */
  async applyResults(results: readonly ResultUpdate[], now: number): Promise<number> {
    const groups = new Map<string, { r: ResultUpdate; devices: string[] }>();
    for (const r of results) {
      const key = JSON.stringify([r.commandId, r.state, r.message, r.data]);
      const g = groups.get(key);
      if (g) g.devices.push(r.deviceId);
      else groups.set(key, { r, devices: [r.deviceId] });
    }
    let changed = 0;
    await this.db.transaction(async (tx) => {
      for (const { r, devices } of groups.values()) {
        for (const c of chunks(devices)) {
          const res = await tx
            .createQueryBuilder()
            .update(CommandResultEntity)
            .set({ state: r.state, message: r.message, data: r.data as never, resultAt: now, updatedAt: now })
            .where('command_id = :id AND device_id IN (:...c) AND state IN (:...open)', { id: r.commandId, c, open: OPEN_STATES })
            .execute();
          changed += res.affected ?? 0;
        }
      }
    });
    return changed;
  }

  /** Open rows past their expiry become expired, in one statement. */
  async expire(now: number): Promise<number> {
    const res = await this.db
      .createQueryBuilder()
      .update(CommandResultEntity)
      .set({ state: 'expired', updatedAt: now })
      .where('state IN (:...open) AND expires_at <= :now', { open: OPEN_STATES, now })
      .execute();
    return res.affected ?? 0;
  }

  // ---- reads --------------------------------------------------------------------------------------------------

  /**
   * Everything still owed to these devices and not expired, oldest command first. Runs for every batch of devices
   * coming online (a connect storm), so in plain SQL whose text does not depend on the batch size: on PostgreSQL one
   * statement with the ids as an array, on SQLite chunks whose id lists are padded to a few lengths (`padToShape`;
   * a repeated id matches nothing more), so the driver's statement cache answers instead of SQLite compiling a
   * statement per batch.
   */
  async pendingFor(deviceIds: readonly string[], now: number): Promise<PendingRow[]> {
    if (deviceIds.length === 0) return [];
    const select =
      'SELECT r.command_id AS "commandId", r.device_id AS "deviceId", r.expires_at AS "expiresAt", r.sent_at AS "sentAt", r.attempts AS "attempts", c.payload AS "payload" ' +
      'FROM command_results r INNER JOIN commands c ON c.id = r.command_id WHERE ';
    if (this.db.options.type === 'postgres') {
      const rows = (await this.db.query(
        `${select}r.device_id = ANY($1::varchar[]) AND r.state = ANY($2::varchar[]) AND r.expires_at > $3 ORDER BY r.command_id ASC`,
        [[...deviceIds], OPEN_STATES, now],
      )) as Array<Record<string, unknown>>;
      return rows.map(pendingRow);
    }
    const out: PendingRow[] = [];
    for (const c of chunks(deviceIds)) {
      const ids = padToShape(c);
      const rows = (await this.db.query(
        `${select}r.device_id IN (${ids.map(() => '?').join(', ')}) AND r.state IN (${OPEN_STATES.map(() => '?').join(', ')}) AND r.expires_at > ? ORDER BY r.command_id ASC`,
        [...ids, ...OPEN_STATES, now],
      )) as Array<Record<string, unknown>>;
      out.push(...rows.map(pendingRow));
    }
    return out;
  }

  /** Sent, unanswered and unexpired rows last sent at or before `before`, with fewer than `maxAttempts` sends. */
  async unanswered(before: number, now: number, maxAttempts: number, limit: number): Promise<PendingRow[]> {
    const rows = await this.db
      .createQueryBuilder()
      .select(['r.command_id AS "commandId"', 'r.device_id AS "deviceId"', 'r.expires_at AS "expiresAt"', 'r.sent_at AS "sentAt"', 'r.attempts AS "attempts"', 'c.payload AS "payload"'])
      .from('command_results', 'r')
      .innerJoin('commands', 'c', 'c.id = r.command_id')
      .where("r.state = 'sent'")
      .andWhere('r.sent_at <= :before', { before })
      .andWhere('r.expires_at > :now', { now })
      .andWhere('r.attempts < :max', { max: maxAttempts })
      .orderBy('r.command_id', 'ASC')
      .limit(limit)
      .getRawMany<Record<string, unknown>>();
    return rows.map(pendingRow);
  }

  find(id: string): Promise<CommandEntity | null> {
    return this.db.getRepository(CommandEntity).findOneBy({ id });
  }

  /** Newest first; with `scopePath` (a subtree's LIKE pattern) only the commands readable there, and their total. */
  async list(limit: number, offset: number, scopePath: string | null = null): Promise<{ items: CommandEntity[]; total: number }> {
    const qb = this.db.getRepository(CommandEntity).createQueryBuilder('c').orderBy('c.id', 'DESC').skip(offset).take(limit);
    if (scopePath !== null) qb.where(READABLE_IN_SUBTREE, { scopePath });
    const [items, total] = await qb.getManyAndCount();
    return { items, total };
  }

  /** Whether the command is readable in the subtree whose LIKE pattern is `scopePath`. */
  async readableIn(id: string, scopePath: string): Promise<boolean> {
    return this.db.getRepository(CommandEntity).createQueryBuilder('c').where('c.id = :id', { id }).andWhere(READABLE_IN_SUBTREE, { scopePath }).getExists();
  }

  /** Counts per state of each command. */
  async countsByState(commandIds: readonly string[]): Promise<Map<string, Partial<Record<CommandState, number>>>> {
    const out = new Map<string, Partial<Record<CommandState, number>>>();
    for (const c of chunks(commandIds)) {
      const rows = await this.db
        .createQueryBuilder()
        .select(['r.command_id AS "commandId"', 'r.state AS "state"', 'COUNT(*) AS "n"'])
        .from('command_results', 'r')
        .where('r.command_id IN (:...c)', { c })
        .groupBy('r.command_id')
        .addGroupBy('r.state')
        .getRawMany<{ commandId: string; state: CommandState; n: string | number }>();
      for (const r of rows) {
        const m = out.get(r.commandId) ?? {};
        m[r.state] = Number(r.n);
        out.set(r.commandId, m);
      }
    }
    return out;
  }

  async results(commandId: string, f: { state?: CommandState | undefined; limit: number; offset: number }): Promise<{ items: CommandResultEntity[]; total: number }> {
    const [items, total] = await this.db.getRepository(CommandResultEntity).findAndCount({
      where: { commandId, ...(f.state ? { state: f.state } : {}) },
      order: { deviceId: 'ASC' },
      take: f.limit,
      skip: f.offset,
    });
    return { items, total };
  }

  async deviceExists(id: string): Promise<boolean> {
    return (await this.db.getRepository(DeviceEntity).countBy({ id })) > 0;
  }

  /** A device's commands, newest first, with the command each row belongs to. */
  async forDevice(deviceId: string, limit: number, offset: number): Promise<{ items: Array<{ result: CommandResultEntity; command: CommandEntity }>; total: number }> {
    const [rows, total] = await this.db.getRepository(CommandResultEntity).findAndCount({ where: { deviceId }, order: { commandId: 'DESC' }, take: limit, skip: offset });
    const commands = new Map((await this.db.getRepository(CommandEntity).findBy({ id: In(rows.map((r) => r.commandId)) })).map((c) => [c.id, c]));
    const items = rows.flatMap((result) => {
      const command = commands.get(result.commandId);
      return command ? [{ result, command }] : [];
    });
    return { items, total };
  }
}

function pendingRow(r: Record<string, unknown>): PendingRow {
  return {
    commandId: String(r.commandId),
    deviceId: String(r.deviceId),
    expiresAt: Number(r.expiresAt),
    sentAt: r.sentAt === null || r.sentAt === undefined ? null : Number(r.sentAt),
    attempts: Number(r.attempts ?? 0),
    payload: String(r.payload),
  };
}
