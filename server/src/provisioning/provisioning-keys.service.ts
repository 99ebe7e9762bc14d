import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AreasService } from '../areas/areas.service.js';
import { Clock } from '../common/clock.js';
import { newId, randomToken } from '../common/ids.js';
import { isoOrNull } from '../common/iso.js';
import type { ProvisioningKeyEntity } from './provisioning-key.entity.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { ProvisioningRepository } from './provisioning.repository.js';
import type { ProvisioningKeyView } from '@loa/shared/rest';
import { badRequest, notFound } from '../common/loa-error.js';
export type { ProvisioningKeyView } from '@loa/shared/rest';

export interface NewProvisioningKey {
  label: string;
  areaCode?: string | undefined;
  /** Epoch ms. */
  expiresAt: number;
  maxUses: number;
}

/** Provisioning keys are 192-bit random tokens: a fast hash is enough (see DeviceCredentialsService). */
export const hashProvisioningKey = (key: string): string => `sha256$${createHash('sha256').update(key).digest('hex')}`;

/** Operators' side of zero-touch provisioning: keys that let devices enrol themselves, to be claimed later. */
@Injectable()
export class ProvisioningKeysService {
  constructor(
    private readonly repo: ProvisioningRepository,
    private readonly areas: AreasService,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  /** Creates a key; the key string is in this answer only (the server keeps its hash). */
  async create(input: NewProvisioningKey, by: string): Promise<{ provisioningKey: ProvisioningKeyView; key: string }> {
    const now = this.clock.now();
    if (input.expiresAt <= now) throw badRequest('provisioning.expiry-past');
    if (input.areaCode !== undefined) {
      await this.areas.get(input.areaCode).catch(() => {
        throw badRequest('area.unknown', { id: input.areaCode ?? '' });
      });
    }
    const key = `lpk_${randomToken(24)}`;
    const entity: ProvisioningKeyEntity = {
      id: newId(),
      label: input.label,
      keyHash: hashProvisioningKey(key),
      areaCode: input.areaCode ?? null,
      expiresAt: input.expiresAt,
      maxUses: input.maxUses,
      uses: 0,
      createdBy: by,
      createdAt: now,
      deletedAt: null,
    };
    await this.repo.insertKey(entity);
    this.logger.info({ ctx: 'provisioning', keyId: entity.id, label: entity.label, maxUses: entity.maxUses, by }, 'provisioning key created');
    return { provisioningKey: this.view(entity), key };
  }

  async list(): Promise<ProvisioningKeyView[]> {
    return (await this.repo.listKeys()).map((k) => this.view(k));
  }

  /** Devices can no longer enrol with it; enrolments already made stay (and can still be claimed). */
  async delete(id: string, by: string): Promise<void> {
    if (!(await this.repo.deleteKey(id, this.clock.now()))) throw notFound('provisioning-key.not-found', { id });
    this.logger.info({ ctx: 'provisioning', keyId: id, by }, 'provisioning key deleted');
  }

  private view(k: ProvisioningKeyEntity): ProvisioningKeyView {
    return {
      id: k.id,
      label: k.label,
      areaCode: k.areaCode,
      expiresAt: isoOrNull(k.expiresAt) ?? '',
      maxUses: k.maxUses,
      uses: k.uses,
      active: k.deletedAt === null && k.expiresAt > this.clock.now() && k.uses < k.maxUses,
      createdAt: isoOrNull(k.createdAt) ?? '',
      createdBy: k.createdBy,
    };
  }
}
