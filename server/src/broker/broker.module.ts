import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { Metrics } from '../common/metrics.js';
import { DeviceAuthModule } from '../device-auth/device-auth.module.js';
import { DeviceCredentialsService } from '../device-auth/device-credentials.service.js';
import { DeviceLoginService } from '../device-auth/device-login.service.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { DeviceMessageRouter } from './device-message-router.js';
import { EmbeddedBroker } from './embedded-broker.js';
import { ExternalBroker } from './external-broker.js';
import { MessageBroker } from './message-broker.js';

/** The embedded aedes broker (the one-command default), or a client of the broker LOA_MQTT_URL names. */
function brokerFor(config: AppConfig, credentials: DeviceCredentialsService, logins: DeviceLoginService, metrics: Metrics, logger: AppLogger): MessageBroker {
  return config.externalBroker === null ? new EmbeddedBroker(config, credentials, logins, metrics, logger) : new ExternalBroker(config, metrics, logger);
}

@Global()
@Module({
  imports: [DeviceAuthModule],
  providers: [
    { provide: MessageBroker, useFactory: brokerFor, inject: [AppConfig, DeviceCredentialsService, DeviceLoginService, Metrics, LOGGER] },
    DeviceMessageRouter,
  ],
  exports: [MessageBroker, DeviceMessageRouter],
})
export class BrokerModule {}
