import { Global, Module } from '@nestjs/common';
import { DeviceGateway } from './device-gateway.js';
import { MqttDeviceGateway } from './mqtt-device-gateway.js';

/** Global like the broker it wraps: every feature that talks to devices injects DeviceGateway. */
@Global()
@Module({ providers: [{ provide: DeviceGateway, useClass: MqttDeviceGateway }], exports: [DeviceGateway] })
export class DeviceGatewayModule {}
