import { Module } from '@nestjs/common';
import { DeviceCredentialsService } from './device-credentials.service.js';

@Module({ providers: [DeviceCredentialsService], exports: [DeviceCredentialsService] })
export class DeviceAuthModule {}
