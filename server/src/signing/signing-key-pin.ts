import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { AppConfig, ConfigError } from '../config/app-config.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { SIGNING_KEY_SETTING, SigningKeyRepository } from './signing-key.repository.js';
import { SigningService } from './signing.service.js';

/**
 * Devices pin the server's public key at provisioning, so every instance sharing a database (AppConfig.clustered)
 * must sign with the same key: an instance with another LOA_SIGNING_KEY_FILE would send timelines and commands that
 * devices reject. The first instance records its key id in the database; any later start with another key refuses
 * to start, before devices are let in (MessageBroker.open comes after every module's init). One instance on SQLite
 * has nothing to agree with.
 */
@Injectable()
export class SigningKeyPin implements OnModuleInit {
  constructor(
    private readonly config: AppConfig,
    private readonly signing: SigningService,
    private readonly repo: SigningKeyRepository,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.clustered) return;
    const mine = { kid: this.signing.kid, publicKey: this.signing.publicKey };
    const recorded = await this.repo.claim(mine, this.clock.now());
    const file = this.config.signingKeyFile;
    if ('unreadable' in recorded) {
      throw new ConfigError(`LOA_SIGNING_KEY_FILE: the database's "${SIGNING_KEY_SETTING}" setting, which names the device signing key every instance uses, is unreadable; repair or delete that row of the settings table`);
    }
    if (recorded.kid !== mine.kid) {
      throw new ConfigError(
        `LOA_SIGNING_KEY_FILE: ${file} holds the device signing key ${mine.kid}, but the instances of this database sign with key ${recorded.kid}, which devices have pinned: give every instance the same key file (copy it from a running instance). Only if the key was replaced on purpose, with every device re-provisioned, delete the "${SIGNING_KEY_SETTING}" row of the settings table.`,
      );
    }
    this.logger.info({ ctx: 'signing', kid: mine.kid }, 'device signing key matches the one recorded for the cluster');
  }
}
