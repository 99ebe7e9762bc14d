import { Body, Controller, Get, Header, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/decorators.js';
import { AppConfig } from '../config/app-config.js';
import { BrokerAuthService } from './broker-auth.service.js';
import { BrokerTokenGuard } from './broker-token.guard.js';
import { emqxActions, emqxAuthnAnswer, emqxAuthnSchema, emqxAuthzSchema, type EmqxAuthnAnswer, type EmqxAuthnRequest, type EmqxAuthzRequest, type EmqxResult } from './emqx.dialect.js';

/**
 * EMQX 5's HTTP authenticator and authoriser call these (deploy/emqx). POST with a JSON or form body, or GET with the
 * query string, as EMQX's `method` says; answered 200 with `result` (a 4xx makes EMQX treat the call as `ignore`).
 */
@ApiTags('broker-auth')
@Public()
@UseGuards(BrokerTokenGuard)
@Controller('api/broker/emqx')
export class EmqxAuthController {
  private readonly withAcl: boolean;

  constructor(
    private readonly auth: BrokerAuthService,
    config: AppConfig,
  ) {
    this.withAcl = config.emqxApi !== null;
  }

  @Post('authn')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'EMQX HTTP authentication: device id + secret (client id = id), or the server account (superuser)' })
  authn(@Body({ schema: emqxAuthnSchema }) body: EmqxAuthnRequest): Promise<EmqxAuthnAnswer> {
    return this.authenticate(body);
  }

  @Get('authn')
  @Header('Cache-Control', 'no-store')
  authnByQuery(@Query({ schema: emqxAuthnSchema }) query: EmqxAuthnRequest): Promise<EmqxAuthnAnswer> {
    return this.authenticate(query);
  }

  @Post('authz')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'EMQX HTTP authorisation: the device ACL of @loa/shared (alerts by current areas); $share only for the server' })
  authz(@Body({ schema: emqxAuthzSchema }) body: EmqxAuthzRequest): Promise<{ result: EmqxResult }> {
    return this.authorize(body);
  }

  @Get('authz')
  @Header('Cache-Control', 'no-store')
  authzByQuery(@Query({ schema: emqxAuthzSchema }) query: EmqxAuthzRequest): Promise<{ result: EmqxResult }> {
    return this.authorize(query);
  }

  private async authenticate(r: EmqxAuthnRequest): Promise<EmqxAuthnAnswer> {
    const decision = await this.auth.login({ clientId: r.clientid, username: r.username, password: r.password, address: r.peerhost || undefined });
    return emqxAuthnAnswer(decision, this.withAcl);
  }

  private async authorize(r: EmqxAuthzRequest): Promise<{ result: EmqxResult }> {
    const ok = await this.auth.authorize({ clientId: r.clientid, username: r.username }, r.topic, emqxActions(r.action));
    return { result: ok ? 'allow' : 'deny' };
  }
}
