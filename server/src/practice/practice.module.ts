import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { AreasModule } from '../areas/areas.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { AppConfig } from '../config/app-config.js';
import { ChildProcessSandboxes } from './child-process-sandboxes.js';
import { PracticeOutwardMiddleware } from './practice-outward.middleware.js';
import { PracticeProxy } from './practice-proxy.js';
import { PracticeSandboxes } from './practice-sandboxes.js';
import { PracticeSandboxesRepository } from './practice-sandboxes.repository.js';
import { PracticeSeedController } from './practice-seed.controller.js';
import { PracticeSeedService } from './practice-seed.service.js';
import { PracticeSeedRepository } from './practice-seed.repository.js';
import { PracticeController } from './practice.controller.js';
import { PracticeService } from './practice.service.js';

/**
 * Issue 21, practice mode. On the main server: the sandboxes (practice instances as child processes), entering and
 * leaving, and the /practice/api proxy. On a practice instance (LOA_PRACTICE_MODE=1): the seed endpoint and the
 * refusal of every outward route. PracticeSandboxes is exported for lesson checks and class resets.
 */
@Module({
  imports: [AuthModule, AreasModule],
  controllers: [PracticeController, PracticeSeedController],
  providers: [
    PracticeSandboxesRepository,
    PracticeSeedRepository,
    ChildProcessSandboxes,
    { provide: PracticeSandboxes, useExisting: ChildProcessSandboxes },
    PracticeService,
    PracticeSeedService,
    PracticeProxy,
    PracticeOutwardMiddleware,
  ],
  exports: [PracticeSandboxes],
})
export class PracticeModule implements NestModule {
  constructor(private readonly config: AppConfig) {}

  configure(consumer: MiddlewareConsumer): void {
    if (this.config.practice.mode) {
      consumer.apply(PracticeOutwardMiddleware).forRoutes({ path: 'api/{*path}', method: RequestMethod.ALL });
    } else {
      consumer.apply(PracticeProxy).forRoutes({ path: 'practice/api/{*path}', method: RequestMethod.ALL });
    }
  }
}
