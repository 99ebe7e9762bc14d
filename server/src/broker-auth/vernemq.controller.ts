import { Body, Controller, Header, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { Public } from '../auth/decorators.js';
import { BrokerAuthService } from './broker-auth.service.js';
import { BrokerTokenGuard } from './broker-token.guard.js';
import {
  vernemqLoginAnswer,
  vernemqPublishSchema,
  vernemqRegisterSchema,
  vernemqSubscribeAnswer,
  vernemqSubscribeSchema,
  vernemqVerdict,
  type VernemqAnswer,
} from './vernemq.dialect.js';

type Register = z.infer<typeof vernemqRegisterSchema>;
type Publish = z.infer<typeof vernemqPublishSchema>;
type Subscribe = z.infer<typeof vernemqSubscribeSchema>;

/** VerneMQ webhooks: one route per hook (vmq_webhooks.<name>.endpoint), MQTT 3.1.1 and MQTT 5 variants. */
@ApiTags('broker-auth')
@Public()
@UseGuards(BrokerTokenGuard)
@Controller('api/broker/vernemq')
export class VernemqController {
  constructor(private readonly auth: BrokerAuthService) {}

  @Post(['auth_on_register', 'auth_on_register_m5'])
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'VerneMQ auth_on_register(_m5): device id + secret, or the server account' })
  async register(@Body({ schema: vernemqRegisterSchema }) b: Register): Promise<VernemqAnswer> {
    return vernemqLoginAnswer(await this.auth.login({ clientId: b.client_id, username: b.username, password: b.password, address: b.peer_addr }));
  }

  @Post(['auth_on_publish', 'auth_on_publish_m5'])
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async publish(@Body({ schema: vernemqPublishSchema }) b: Publish): Promise<VernemqAnswer> {
    return vernemqVerdict(await this.auth.authorize({ clientId: b.client_id, username: b.username }, b.topic, ['publish']));
  }

  @Post('auth_on_subscribe')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  subscribe(@Body({ schema: vernemqSubscribeSchema }) b: Subscribe): Promise<VernemqAnswer> {
    return this.answerSubscribe(b, false);
  }

  @Post('auth_on_subscribe_m5')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  subscribeM5(@Body({ schema: vernemqSubscribeSchema }) b: Subscribe): Promise<VernemqAnswer> {
    return this.answerSubscribe(b, true);
  }

  private async answerSubscribe(b: Subscribe, m5: boolean): Promise<VernemqAnswer> {
    const client = { clientId: b.client_id, username: b.username };
    const granted = await Promise.all(b.topics.map((t) => this.auth.authorize(client, t.topic, ['subscribe'])));
    return vernemqSubscribeAnswer(b.topics, granted, m5);
  }
}
