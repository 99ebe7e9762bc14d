import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DeviceCredentialsService } from '../device-auth/device-credentials.service.js';
import { AuthService } from './auth.service.js';
import { ALLOW_DEVICE, IS_PUBLIC } from './decorators.js';
import type { AuthenticatedRequest } from './principal.js';

/** Global guard: every route needs an operator bearer token unless marked @Public (or @AllowDevice for devices). */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly devices: DeviceCredentialsService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = req.headers.authorization;
    const value = Array.isArray(header) ? header[0] : header;
    if (!value) throw new UnauthorizedException('missing Authorization header (Bearer token from POST /api/v1/auth/login)');

    const [scheme, credentials] = value.split(' ', 2);
    if (scheme?.toLowerCase() === 'bearer' && credentials) {
      const user = await this.auth.authenticate(credentials);
      if (!user) throw new UnauthorizedException('invalid or expired token');
      req.principal = user;
      return true;
    }
    if (scheme?.toLowerCase() === 'basic' && credentials && this.reflector.getAllAndOverride<boolean>(ALLOW_DEVICE, targets)) {
      const decoded = Buffer.from(credentials, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const deviceId = decoded.slice(0, colon);
      if (colon > 0 && (await this.devices.verify(deviceId, decoded.slice(colon + 1)))) {
        req.principal = { type: 'device', deviceId };
        return true;
      }
      throw new UnauthorizedException('invalid device credentials');
    }
    throw new UnauthorizedException('unsupported Authorization scheme');
  }
}
