import { Injectable } from '@nestjs/common';
import { DataSource, In, IsNull, LessThanOrEqual, MoreThan, Not } from 'typeorm';
import { AreaEntity } from '../areas/area.entity.js';
import { ContentEntity } from '../contents/content.entity.js';
import { MediaEntity } from '../media/media.entity.js';
import { AlertEntity } from './alert.entity.js';
import { updateColumns } from '../database/update-columns.js';
import { inTransaction, managerOf } from '../database/transaction-runner.js';

@Injectable()
export class AlertsRepository {
  constructor(private readonly db: DataSource) {}

  find(id: string): Promise<AlertEntity | null> {
    return this.db.getRepository(AlertEntity).findOneBy({ id });
  }

  findMedia(sha256: string): Promise<MediaEntity | null> {
    return this.db.getRepository(MediaEntity).findOneBy({ sha256 });
  }

  /**
   * Issue 18: each media with the title of the content it came from (an approved one first, then the newest), so an
   * approver sees what the audio is; null when no content holds it (an upload or speech made for the alert).
   */
  async mediaInfo(shas: readonly string[]): Promise<Map<string, { media: MediaEntity; title: string | null }>> {
    const media = await this.db.getRepository(MediaEntity).findBy({ sha256: In([...shas]) });
    const contents = await this.db.getRepository(ContentEntity).find({ where: { mediaSha256: In([...shas]) }, order: { createdAt: 'DESC' } });
    const out = new Map<string, { media: MediaEntity; title: string | null }>();
    for (const m of media) {
      const held = contents.filter((c) => c.mediaSha256 === m.sha256);
      out.set(m.sha256, { media: m, title: (held.find((c) => c.state === 'approved') ?? held[0])?.title ?? null });
    }
    return out;
  }

  /** Issue 18: this audio is approved content marked for emergencies. */
  async isEmergencyAudio(sha256: string): Promise<boolean> {
    return (await this.db.getRepository(ContentEntity).countBy({ mediaSha256: sha256, state: 'approved', emergency: true })) > 0;
  }

  /** An area and its child areas (code, name, path), the area first. */
  async areaWithChildren(code: string): Promise<AreaEntity[]> {
    const rows = await this.db.getRepository(AreaEntity).find({ where: [{ code }, { parentCode: code }], order: { name: 'ASC', code: 'ASC' } });
    return [...rows.filter((a) => a.code === code), ...rows.filter((a) => a.code !== code)];
  }

  async areaPath(code: string): Promise<string | null> {
    return (await this.db.getRepository(AreaEntity).findOneBy({ code }))?.path ?? null;
  }

  /**
   * Issue 18: alerts in force now (on their channel, effective, not expired), with their area's name and path. An
   * alert sent "now" takes effect a short lead after it was accepted (LOA_ALERT_LEAD_MS, at most 10 s): it counts
   * as in force from its acceptance, `effectiveSlackMs` covering that lead.
   */
  async inForce(now: number, effectiveSlackMs = 0): Promise<Array<{ alert: AlertEntity; areaName: string; areaPath: string }>> {
    const alerts = await this.db.getRepository(AlertEntity).find({
      where: { status: 'active', clearedAt: IsNull(), effectiveAt: LessThanOrEqual(now + effectiveSlackMs), expiresAt: MoreThan(now) },
      order: { sentAt: 'DESC' },
    });
    if (alerts.length === 0) return [];
    const areas = new Map((await this.db.getRepository(AreaEntity).findBy({ code: In([...new Set(alerts.map((a) => a.areaCode))]) })).map((a) => [a.code, a]));
    return alerts.flatMap((alert) => {
      const area = areas.get(alert.areaCode);
      return area ? [{ alert, areaName: area.name, areaPath: area.path }] : [];
    });
  }

  /** The alert currently held (retained) on an area's channel, if any. */
  findActive(areaCode: string): Promise<AlertEntity | null> {
    return this.db.getRepository(AlertEntity).findOneBy({ areaCode, status: 'active', clearedAt: IsNull() });
  }

  list(): Promise<AlertEntity[]> {
    return this.db.getRepository(AlertEntity).find({ order: { sentAt: 'DESC' }, take: 200 });
  }

  /** Alerts (or cancellations) on their channel and not yet expired. */
  onChannel(now: number): Promise<AlertEntity[]> {
    return this.db.getRepository(AlertEntity).findBy({ clearedAt: IsNull(), expiresAt: MoreThan(now), status: Not('pending') });
  }

  /** Alerts (or cancellations) still retained on their channel after they expired. */
  dueForClearing(now: number): Promise<AlertEntity[]> {
    return this.db.getRepository(AlertEntity).findBy({ clearedAt: IsNull(), expiresAt: LessThanOrEqual(now), status: Not('pending') });
  }

  /**
   * Inserts the new alert. The area's channel holds one retained message, so whatever it held before (an active
   * alert, or a cancellation still retained) is now off the channel: marked cleared, and superseded if active.
   */
  async insertReplacing(alert: AlertEntity): Promise<void> {
    await inTransaction(this.db, async (tx) => {
      const repo = tx.getRepository(AlertEntity);
      await repo.update({ areaCode: alert.areaCode, status: 'active', clearedAt: IsNull() }, { status: 'superseded', clearedAt: alert.sentAt });
      await repo.update({ areaCode: alert.areaCode, clearedAt: IsNull(), status: Not('pending') }, { clearedAt: alert.sentAt });
      await repo.insert(alert);
    });
  }

  /** A pending alert (two-person rule) is stored off the channel: nothing it could replace is touched yet. */
  async insert(alert: AlertEntity): Promise<void> {
    await this.db.getRepository(AlertEntity).insert(alert);
  }

  /**
   * Puts a confirmed alert on its channel, replacing what the channel held, as insertReplacing does for a new one.
   * Compare-and-set on `pending`: false (and nothing changed) when someone confirmed or cancelled it meanwhile.
   */
  async activateReplacing(alert: AlertEntity): Promise<boolean> {
    return inTransaction(this.db, async (tx) => {
      const repo = tx.getRepository(AlertEntity);
      const { id, ...rest } = alert;
      const r = await repo.update({ id, status: 'pending' }, { ...rest, status: 'pending' });
      if ((r.affected ?? 0) === 0) return false;
      await repo.update({ areaCode: alert.areaCode, status: 'active', clearedAt: IsNull() }, { status: 'superseded', clearedAt: alert.sentAt });
      await repo.update({ areaCode: alert.areaCode, clearedAt: IsNull(), status: Not('pending') }, { clearedAt: alert.sentAt });
      await repo.update({ id }, { status: alert.status });
      return true;
    });
  }

  /** Cancels an alert still on its channel (compare-and-set: false when it was replaced, cancelled or cleared meanwhile). */
  async cancelActive(id: string, now: number): Promise<boolean> {
    const r = await managerOf(this.db).getRepository(AlertEntity).update({ id, status: 'active', clearedAt: IsNull() }, { status: 'cancelled', cancelledAt: now });
    return (r.affected ?? 0) > 0;
  }

  /** Devices in the area's subtree: how many an alert on its channel reaches. */
  async deviceCountUnder(areaCode: string): Promise<number> {
    const r = await this.db
      .createQueryBuilder()
      .select('COUNT(*)', 'n')
      .from('devices', 'd')
      .innerJoin('areas', 'a', 'a.code = d.area_code')
      .where("a.path LIKE (SELECT r.path FROM areas r WHERE r.code = :areaCode) || '%'", { areaCode })
      .getRawOne<{ n: string | number }>();
    return Number(r?.n ?? 0);
  }

  pending(): Promise<AlertEntity[]> {
    return this.db.getRepository(AlertEntity).find({ where: { status: 'pending' }, order: { sentAt: 'DESC' } });
  }

  async update(id: string, patch: Partial<AlertEntity>): Promise<void> {
    await updateColumns(this.db.getRepository(AlertEntity), { id }, patch);
  }
}
