import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PasswordHasher } from '../common/password-hasher.js';
import { DeviceAuthModule } from '../device-auth/device-auth.module.js';
import { TargetingModule } from '../targeting/targeting.module.js';
import { AuthController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { AuthRepository } from './auth.repository.js';
import { AuthService } from './auth.service.js';
import { ScopeService } from './area-scope.js';
import { ScopeRepository } from './scope.repository.js';

/** Global: ScopeService (area scoping) and AuthRepository are used by every feature. */
@Global()
@Module({
  imports: [DeviceAuthModule, TargetingModule],
  controllers: [AuthController],
  providers: [AuthRepository, AuthService, ScopeRepository, ScopeService, { provide: PasswordHasher, useValue: new PasswordHasher() }, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [AuthService, AuthRepository, ScopeService, PasswordHasher],
})
export class AuthModule {}
