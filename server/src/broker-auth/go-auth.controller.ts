import { Body, Controller, Header, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { Public } from '../auth/decorators.js';
import { BrokerAuthService } from './broker-auth.service.js';
import { BrokerTokenGuard } from './broker-token.guard.js';
import { goAuthAclSchema, goAuthActions, goAuthAnswer, goAuthSuperuserSchema, goAuthUnavailable, goAuthUserSchema, type GoAuthAnswer } from './go-auth.dialect.js';

interface StatusResponse {
  status(code: number): unknown;
}

/** mosquitto-go-auth's HTTP backend (Mosquitto without dynamic security): getuser, superuser and aclcheck URIs. */
@ApiTags('broker-auth')
@Public()
@UseGuards(BrokerTokenGuard)
@Controller('api/broker/mosquitto-go-auth')
export class GoAuthController {
  constructor(private readonly auth: BrokerAuthService) {}

  @Post('user')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'mosquitto-go-auth user check (device id + secret, or the server account)' })
  async user(@Body({ schema: goAuthUserSchema }) b: z.infer<typeof goAuthUserSchema>, @Res({ passthrough: true }) res: StatusResponse): Promise<GoAuthAnswer['body']> {
    const d = await this.auth.login({ clientId: b.clientid, username: b.username, password: b.password, address: undefined });
    return send(res, d.result === 'ignore' ? goAuthUnavailable : goAuthAnswer(d.result === 'allow', d.result === 'deny' ? d.reason : undefined));
  }

  @Post('superuser')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  superuser(@Body({ schema: goAuthSuperuserSchema }) b: z.infer<typeof goAuthSuperuserSchema>, @Res({ passthrough: true }) res: StatusResponse): GoAuthAnswer['body'] {
    return send(res, goAuthAnswer(this.auth.isSuperuser(b.username), 'not a superuser'));
  }

  @Post('acl')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async acl(@Body({ schema: goAuthAclSchema }) b: z.infer<typeof goAuthAclSchema>, @Res({ passthrough: true }) res: StatusResponse): Promise<GoAuthAnswer['body']> {
    return send(res, goAuthAnswer(await this.auth.authorize({ clientId: b.clientid, username: b.username }, b.topic, goAuthActions(b.acc))));
  }
}

function send(res: StatusResponse, answer: GoAuthAnswer): GoAuthAnswer['body'] {
  res.status(answer.status);
  return answer.body;
}
