import { Injectable } from '@nestjs/common';
import { DataSource, IsNull } from 'typeorm';
import { DeviceEntity } from '../devices/device.entity.js';
import { EnrollmentEntity, type EnrollmentState } from './enrollment.entity.js';
import { ProvisioningKeyEntity } from './provisioning-key.entity.js';

export interface EnrollmentRow extends EnrollmentEntity {
  keyLabel: string | null;
  keyAreaCode: string | null;
}

@Injectable()
export class ProvisioningRepository {
  constructor(private readonly db: DataSource) {}

  async insertKey(key: ProvisioningKeyEntity): Promise<void> {
    await this.db.getRepository(ProvisioningKeyEntity).insert(key);
  }

  /** Keys not deleted, newest first. */
  listKeys(): Promise<ProvisioningKeyEntity[]> {
    return this.db.getRepository(ProvisioningKeyEntity).find({ where: { deletedAt: IsNull() }, order: { createdAt: 'DESC', id: 'ASC' } });
  }

  findKey(id: string): Promise<ProvisioningKeyEntity | null> {
    return this.db.getRepository(ProvisioningKeyEntity).findOneBy({ id });
  }

  findKeyByHash(keyHash: string): Promise<ProvisioningKeyEntity | null> {
    return this.db.getRepository(ProvisioningKeyEntity).findOneBy({ keyHash });
  }

  /** False when there was no such live key. */
  async deleteKey(id: string, at: number): Promise<boolean> {
    const r = await this.db.getRepository(ProvisioningKeyEntity).update({ id, deletedAt: IsNull() }, { deletedAt: at });
    return (r.affected ?? 0) > 0;
  }

  findEnrollment(deviceId: string): Promise<EnrollmentEntity | null> {
    return this.db.getRepository(EnrollmentEntity).findOneBy({ deviceId });
  }

  /** The latest enrolment of this hardware with this key. */
  findEnrollmentOf(keyId: string, hardwareId: string): Promise<EnrollmentEntity | null> {
    return this.db.getRepository(EnrollmentEntity).findOne({ where: { keyId, hardwareId }, order: { createdAt: 'DESC' } });
  }

  async listEnrollments(state?: EnrollmentState): Promise<EnrollmentRow[]> {
    const qb = this.enrollmentsWithKey().orderBy('e.created_at', 'ASC').addOrderBy('e.device_id', 'ASC');
    if (state) qb.where('e.state = :state', { state });
    return this.rows(await qb.getRawAndEntities());
  }

  async enrollmentWithKey(deviceId: string): Promise<EnrollmentRow | null> {
    return this.rows(await this.enrollmentsWithKey().where('e.device_id = :deviceId', { deviceId }).getRawAndEntities())[0] ?? null;
  }

  private enrollmentsWithKey() {
    return this.db
      .getRepository(EnrollmentEntity)
      .createQueryBuilder('e')
      .leftJoin(ProvisioningKeyEntity, 'k', 'k.id = e.key_id')
      .addSelect(['k.label AS "keyLabel"', 'k.area_code AS "keyAreaCode"']);
  }

  private rows({ entities, raw }: { entities: EnrollmentEntity[]; raw: Array<{ e_device_id: string; keyLabel: string | null; keyAreaCode: string | null }> }): EnrollmentRow[] {
    const byId = new Map(raw.map((r) => [r.e_device_id, r]));
    return entities.map((e) => ({ ...e, keyLabel: byId.get(e.deviceId)?.keyLabel ?? null, keyAreaCode: byId.get(e.deviceId)?.keyAreaCode ?? null }));
  }

  /** Is this id a device or reserved by an enrolment? */
  async deviceIdTaken(deviceId: string): Promise<boolean> {
    const devices = await this.db.getRepository(DeviceEntity).count({ where: { id: deviceId } });
    return devices > 0 || (await this.db.getRepository(EnrollmentEntity).count({ where: { deviceId } })) > 0;
  }

  /**
   * Consumes one use of the key and stores the enrolment. False (nothing stored) when the key is used up, expired or
   * deleted by now — checked in the UPDATE itself, so concurrent enrolments cannot overdraw it. Two statements rather
   * than a transaction (SQLite has one connection, on which concurrent transactions collide): a failed insert gives
   * the use back.
   */
  async createEnrollment(enrollment: EnrollmentEntity, now: number): Promise<boolean> {
    const keys = this.db.getRepository(ProvisioningKeyEntity);
    const used = await keys
      .createQueryBuilder()
      .update()
      .set({ uses: () => 'uses + 1' })
      .where('id = :id AND uses < max_uses AND deleted_at IS NULL AND expires_at > :now', { id: enrollment.keyId, now })
      .execute();
    if ((used.affected ?? 0) === 0) return false;
    try {
      await this.db.getRepository(EnrollmentEntity).insert(enrollment);
    } catch (err) {
      await keys.createQueryBuilder().update().set({ uses: () => 'uses - 1' }).where('id = :id', { id: enrollment.keyId }).execute();
      throw err;
    }
    return true;
  }

  /** Applies the change only while the enrolment is still pending; false if it was decided meanwhile. */
  async updatePending(deviceId: string, patch: Partial<EnrollmentEntity>): Promise<boolean> {
    const r = await this.db.getRepository(EnrollmentEntity).update({ deviceId, state: 'pending' }, patch);
    return (r.affected ?? 0) > 0;
  }

  /**
   * The registered device takes the enrolment's secret, then the enrolment is marked claimed if still pending (false
   * otherwise). The device row was created by this claim a moment ago with a throwaway secret nobody knows.
   */
  async completeClaim(deviceId: string, secretHash: string, patch: Pick<EnrollmentEntity, 'areaCode' | 'decidedAt' | 'decidedBy' | 'updatedAt'>): Promise<boolean> {
    await this.db.getRepository(DeviceEntity).update({ id: deviceId }, { secretHash });
    const r = await this.db.getRepository(EnrollmentEntity).update({ deviceId, state: 'pending' }, { ...patch, state: 'claimed' });
    return (r.affected ?? 0) > 0;
  }
}
