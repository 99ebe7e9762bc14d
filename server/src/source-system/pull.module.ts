import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { InboundModule } from './inbound.module.js';
import { PullPoller } from './pull-poller.js';
import { SourceSystemModule } from './source-system.module.js';

/**
 * Issue 16: pull by polling (REST peers), which needs both halves of the connector: the peers (SourceSystemModule)
 * and the receiving side (InboundModule, which itself builds on SourceSystemModule; hence a module of its own).
 */
@Module({
  imports: [SourceSystemModule, InboundModule, AuditModule],
  providers: [PullPoller],
})
export class SourcePullModule {}
