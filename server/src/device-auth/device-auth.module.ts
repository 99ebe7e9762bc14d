import { Module } from '@nestjs/common';
import { DeviceCredentialsService } from './device-credentials.service.js';
import { DeviceLoginService } from './device-login.service.js';
import { LoginDelay } from './login-delay.js';
import { LoginRateLimiter } from './login-rate-limiter.js';

@Module({
  providers: [DeviceCredentialsService, LoginRateLimiter, LoginDelay, DeviceLoginService],
  exports: [DeviceCredentialsService, LoginRateLimiter, DeviceLoginService],
})
export class DeviceAuthModule {}
