import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AlertEntity } from '../alerts/alert.entity.js';
import { AreaEntity } from '../areas/area.entity.js';
import { BoardProfileEntity } from '../board-profiles/board-profile.entity.js';
import { ContentEntity } from '../contents/content.entity.js';
import { DeviceRevocationEntity } from '../device-auth/device-revocation.entity.js';
import { DeviceEntity } from '../devices/device.entity.js';
import { GroupEntity } from '../groups/group.entity.js';
import { ScheduleTargetEntity } from '../schedules/schedule-target.entity.js';
import { ScheduleEntity } from '../schedules/schedule.entity.js';
import { UserEntity } from '../users/user.entity.js';

/**
 * The rows the audit log's before/after snapshots are taken from. Read directly (no feature service) so that
 * auditing never changes a feature's behaviour; AuditLoaders picks the fields shown, never a secret or hash.
 */
@Injectable()
export class AuditSnapshotsRepository {
  constructor(private readonly db: DataSource) {}

  device(id: string): Promise<DeviceEntity | null> {
    return this.db.getRepository(DeviceEntity).findOneBy({ id });
  }

  deviceRevoked(deviceId: string): Promise<boolean> {
    return this.db.getRepository(DeviceRevocationEntity).existsBy({ deviceId });
  }

  content(id: string): Promise<ContentEntity | null> {
    return this.db.getRepository(ContentEntity).findOneBy({ id });
  }

  schedule(id: string): Promise<ScheduleEntity | null> {
    return this.db.getRepository(ScheduleEntity).findOneBy({ id });
  }

  scheduleTargets(scheduleId: string): Promise<ScheduleTargetEntity[]> {
    return this.db.getRepository(ScheduleTargetEntity).find({ where: { scheduleId }, order: { kind: 'ASC', ref: 'ASC' } });
  }

  group(id: string): Promise<GroupEntity | null> {
    return this.db.getRepository(GroupEntity).findOneBy({ id });
  }

  user(id: string): Promise<UserEntity | null> {
    return this.db.getRepository(UserEntity).findOneBy({ id });
  }

  area(code: string): Promise<AreaEntity | null> {
    return this.db.getRepository(AreaEntity).findOneBy({ code });
  }

  alert(id: string): Promise<AlertEntity | null> {
    return this.db.getRepository(AlertEntity).findOneBy({ id });
  }

  boardProfile(id: string): Promise<BoardProfileEntity | null> {
    return this.db.getRepository(BoardProfileEntity).findOneBy({ id });
  }
}
