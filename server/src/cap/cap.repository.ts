import { Injectable } from '@nestjs/common';
import { DataSource, In, Not } from 'typeorm';
import { AlertEntity } from '../alerts/alert.entity.js';
import { AreaEntity } from '../areas/area.entity.js';
import { DeviceEntity } from '../devices/device.entity.js';
import { MediaEntity } from '../media/media.entity.js';
import { isUniqueViolation } from '../source-system/inbound-exchanges.repository.js';
import { CapMessageEntity, CapSourceEntity } from './cap.entities.js';
import type { Box } from './cap-geo.js';

export interface LocatedDevice {
  id: string;
  areaCode: string;
  lat: number;
  lon: number;
}

/** The CAP tables, and the few reads of areas, devices and alerts the mapping needs. */
@Injectable()
export class CapRepository {
  constructor(private readonly ds: DataSource) {}

  private get sources() {
    return this.ds.getRepository(CapSourceEntity);
  }
  private get messages() {
    return this.ds.getRepository(CapMessageEntity);
  }

  listSources(): Promise<CapSourceEntity[]> {
    return this.sources.find({ order: { createdAt: 'ASC' } });
  }
  findSource(id: string): Promise<CapSourceEntity | null> {
    return this.sources.findOneBy({ id });
  }
  async saveSource(s: CapSourceEntity): Promise<void> {
    await this.sources.save(s);
  }
  async updateSource(id: string, patch: Partial<CapSourceEntity>): Promise<void> {
    await this.sources.update({ id }, patch);
  }
  async deleteSource(id: string): Promise<boolean> {
    await this.messages.delete({ sourceId: id });
    return ((await this.sources.delete({ id })).affected ?? 0) > 0;
  }
  feedSources(): Promise<CapSourceEntity[]> {
    return this.sources.find({ where: { kind: 'feed', enabled: true } });
  }

  /** The message with this key, if recorded (the duplicate check). */
  findByKey(sourceId: string, sender: string, identifier: string, sentAt: number): Promise<CapMessageEntity | null> {
    return this.messages.findOneBy({ sourceId, sender, identifier, sentAt });
  }

  /** Messages of the source matching `sender,identifier` at any of these instants (references). */
  findReferenced(sourceId: string, sender: string, identifier: string): Promise<CapMessageEntity[]> {
    return this.messages.findBy({ sourceId, sender, identifier });
  }

  async entrySeen(sourceId: string, entryId: string): Promise<boolean> {
    return (await this.messages.countBy({ sourceId, entryId })) > 0;
  }

  /** Inserts the record; a concurrent twin (same key) wins and is returned instead. */
  async insertMessage(m: CapMessageEntity): Promise<{ row: CapMessageEntity; duplicate: boolean }> {
    try {
      await this.messages.insert(m);
      return { row: m, duplicate: false };
    } catch (err) {
      if (!isUniqueViolation(err) || m.sender === null || m.identifier === null || m.sentAt === null) throw err;
      const twin = await this.findByKey(m.sourceId, m.sender, m.identifier, m.sentAt);
      if (!twin) throw err;
      return { row: twin, duplicate: true };
    }
  }

  async rawXml(id: string): Promise<string | null> {
    return (await this.messages.findOne({ where: { id }, select: { id: true, rawXml: true } }))?.rawXml ?? null;
  }

  media(sha256: string): Promise<MediaEntity | null> {
    return this.ds.getRepository(MediaEntity).findOneBy({ sha256 });
  }

  async pageMessages(q: { sourceId?: string | undefined; state?: string | undefined; limit: number; offset: number }): Promise<{ items: CapMessageEntity[]; total: number }> {
    const where = { ...(q.sourceId ? { sourceId: q.sourceId } : {}), ...(q.state ? { state: q.state as CapMessageEntity['state'] } : {}) };
    const [items, total] = await this.messages.findAndCount({ where, order: { receivedAt: 'DESC', id: 'DESC' }, take: q.limit, skip: q.offset });
    return { items, total };
  }

  async areaPaths(codes: string[]): Promise<Map<string, string>> {
    if (codes.length === 0) return new Map();
    const rows = await this.ds.getRepository(AreaEntity).findBy({ code: In(codes) });
    return new Map(rows.map((a) => [a.code, a.path]));
  }

  async area(code: string): Promise<AreaEntity | null> {
    return this.ds.getRepository(AreaEntity).findOneBy({ code });
  }

  /** Devices with a location inside the box (then tested exactly against the shape). */
  async devicesIn(box: Box): Promise<LocatedDevice[]> {
    const rows = await this.ds
      .getRepository(DeviceEntity)
      .createQueryBuilder('d')
      .select(['d.id AS id', 'd.area_code AS area_code', 'd.latitude AS lat', 'd.longitude AS lon'])
      .where('d.latitude BETWEEN :minLat AND :maxLat', box)
      .andWhere('d.longitude BETWEEN :minLon AND :maxLon', box)
      .getRawMany<{ id: string; area_code: string; lat: number | string; lon: number | string }>();
    return rows.map((r) => ({ id: r.id, areaCode: r.area_code, lat: Number(r.lat), lon: Number(r.lon) }));
  }

  alerts(ids: string[]): Promise<AlertEntity[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.ds.getRepository(AlertEntity).findBy({ id: In(ids) });
  }
  alert(id: string): Promise<AlertEntity | null> {
    return this.ds.getRepository(AlertEntity).findOneBy({ id });
  }
  /** Newest published alerts first (CAP out): never the ones still waiting for a second person. */
  async recentAlerts(limit: number): Promise<AlertEntity[]> {
    const rows = await this.ds.getRepository(AlertEntity).find({ where: { status: Not('pending') }, order: { sentAt: 'DESC', id: 'DESC' }, take: limit * 2 });
    // A pending alert cancelled before anyone confirmed it was never published either.
    return rows.filter((a) => !(a.status === 'cancelled' && a.requestedAt && !a.confirmedAt)).slice(0, limit);
  }
  /** The alert that replaced this one on its channel, if any. */
  replacedBy(id: string): Promise<AlertEntity | null> {
    return this.ds.getRepository(AlertEntity).findOneBy({ replaces: id });
  }
}
