import { Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { FEEDBACK_SMS_INBOUND_PATH } from '@loa/shared/rest';
import { Public } from '../auth/decorators.js';
import { clientIp } from './public-feedback.controller.js';
import { SmsInboundService, type SmsInboundAnswer } from './sms-inbound.service.js';

/** Issue 17: the SMS gateway's webhook. The body arrives raw (a Buffer, see bootstrap.ts): the HMAC covers the bytes as sent. */
@ApiTags('feedback')
@Controller()
export class SmsInboundController {
  constructor(private readonly sms: SmsInboundService) {}

  @Post(FEEDBACK_SMS_INBOUND_PATH.slice(1))
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'A text message from the SMS gateway (signed with the inbound secret) becomes a feedback item; a redelivered message id answers the same code' })
  receive(@Req() req: Request): Promise<SmsInboundAnswer> {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    return this.sms.receive({ raw, contentType: req.headers['content-type'], headers: req.headers, ip: clientIp(req) });
  }
}
