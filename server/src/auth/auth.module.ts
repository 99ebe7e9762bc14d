import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PasswordHasher } from '../common/password-hasher.js';
import { DeviceAuthModule } from '../device-auth/device-auth.module.js';
import { AuthController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { AuthRepository } from './auth.repository.js';
import { AuthService } from './auth.service.js';

@Module({
  imports: [DeviceAuthModule],
  controllers: [AuthController],
  providers: [AuthRepository, AuthService, { provide: PasswordHasher, useValue: new PasswordHasher() }, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [AuthService],
})
export class AuthModule {}
