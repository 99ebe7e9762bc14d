import { Module } from '@nestjs/common';
import { CredentialsCacheListener } from './credentials-cache.listener.js';
import { DeviceCredentialsRepository } from './device-credentials.repository.js';
import { DeviceCredentialsService } from './device-credentials.service.js';
import { DeviceLoginService } from './device-login.service.js';
import { LoginDelay } from './login-delay.js';
import { LoginRateLimiter } from './login-rate-limiter.js';

@Module({
  providers: [DeviceCredentialsRepository, DeviceCredentialsService, CredentialsCacheListener, LoginRateLimiter, LoginDelay, DeviceLoginService],
  exports: [DeviceCredentialsService, LoginRateLimiter, DeviceLoginService],
})
export class DeviceAuthModule {}
