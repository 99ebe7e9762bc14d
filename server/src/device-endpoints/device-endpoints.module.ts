import { Module } from '@nestjs/common';
import { DeviceEndpointsController } from './device-endpoints.controller.js';

@Module({ controllers: [DeviceEndpointsController] })
export class DeviceEndpointsModule {}
