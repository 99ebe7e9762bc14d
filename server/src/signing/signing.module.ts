import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { SigningKeyPin } from './signing-key-pin.js';
import { SigningKeyRepository } from './signing-key.repository.js';
import { SigningController } from './signing.controller.js';
import { SigningService } from './signing.service.js';

@Global()
@Module({
  providers: [
    { provide: SigningService, useFactory: (config: AppConfig, logger: AppLogger) => SigningService.fromConfig(config, logger), inject: [AppConfig, LOGGER] },
    SigningKeyRepository,
    SigningKeyPin,
  ],
  controllers: [SigningController],
  exports: [SigningService],
})
export class SigningModule {}
