import { Global, Module } from '@nestjs/common';
import { DeviceAuthModule } from '../device-auth/device-auth.module.js';
import { DeviceMessageRouter } from './device-message-router.js';
import { EmbeddedBroker } from './embedded-broker.js';
import { MessageBroker } from './message-broker.js';

@Global()
@Module({
  imports: [DeviceAuthModule],
  providers: [EmbeddedBroker, { provide: MessageBroker, useExisting: EmbeddedBroker }, DeviceMessageRouter],
  exports: [MessageBroker, EmbeddedBroker, DeviceMessageRouter],
})
export class BrokerModule {}
