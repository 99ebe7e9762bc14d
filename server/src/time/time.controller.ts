import { Controller, Get, Header } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { TimeResponse } from '@loa/shared';
import { Public } from '../auth/decorators.js';
import { Clock } from '../common/clock.js';

/** Reference clock for agents (NTP-style exchange over HTTP); public because the time is no secret. */
@ApiTags('time')
@Controller('api/time')
export class TimeController {
  constructor(private readonly clock: Clock) {}

  @Public()
  @Get()
  @Header('Cache-Control', 'no-store')
  now(): TimeResponse {
    const receivedAt = this.clock.now();
    return { receivedAt, sentAt: this.clock.now() };
  }
}
