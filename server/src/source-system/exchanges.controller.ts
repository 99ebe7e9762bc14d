import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { exchangeIdSchema, listExchangesQuerySchema, type ExchangeDetail, type ExchangePage } from '@loa/shared/rest';
import type { z } from 'zod';
import { Audit } from '../audit/audit.decorator.js';
import { Roles } from '../auth/roles.js';
import { OutboxService } from './outbox.service.js';

/** The exchanges with peers: admins and operators read them; admins send a failed or dead one again. */
@ApiTags('source-system')
@ApiBearerAuth()
@Controller('api/v1/source-system/exchanges')
export class ExchangesController {
  constructor(private readonly outbox: OutboxService) {}

  @Get()
  @Roles('admin', 'operator')
  @ApiOperation({ summary: 'Exchanges, newest first, one page (filter by peer, state, kind, direction)' })
  list(@Query({ schema: listExchangesQuerySchema }) q: z.output<typeof listExchangesQuerySchema>): Promise<ExchangePage> {
    return this.outbox.list(q);
  }

  @Get(':id')
  @Roles('admin', 'operator')
  get(@Param('id', { schema: exchangeIdSchema }) id: string): Promise<ExchangeDetail> {
    return this.outbox.get(id);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @Audit('source-system.exchange-retry')
  @ApiOperation({ summary: 'Sends a failed or dead exchange again now (409 in any other state)' })
  retry(@Param('id', { schema: exchangeIdSchema }) id: string): Promise<ExchangeDetail> {
    return this.outbox.retry(id);
  }
}
