import { Module } from '@nestjs/common';
import { DeviceAuthModule } from '../device-auth/device-auth.module.js';
import { BrokerAuthService } from './broker-auth.service.js';
import { BrokerTokenGuard } from './broker-token.guard.js';
import { EmqxApi, EmqxSessionTerminator } from './emqx-api.js';
import { EmqxAuthController } from './emqx-auth.controller.js';
import { GoAuthController } from './go-auth.controller.js';
import { VernemqController } from './vernemq.controller.js';

/**
 * The HTTP authentication and authorisation endpoint external brokers call (LOA_BROKER_ACCOUNTS=http, protected by
 * LOA_BROKER_AUTH_TOKEN), and ending device sessions through the EMQX API. deploy/emqx shows the broker side.
 */
@Module({
  imports: [DeviceAuthModule],
  controllers: [EmqxAuthController, GoAuthController, VernemqController],
  providers: [BrokerAuthService, BrokerTokenGuard, EmqxApi, EmqxSessionTerminator],
  exports: [EmqxApi],
})
export class BrokerAuthModule {}
