import { CanActivate, ExecutionContext, HttpException, HttpStatus, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DeviceLoginService } from '../device-auth/device-login.service.js';
import { AuthService } from './auth.service.js';
import { ALLOW_DEVICE, IS_PUBLIC } from './decorators.js';
import { AppConfig } from '../config/app-config.js';
import { OFFICER_IF_SCHEDULING, ROLES, type RoleGrant } from './roles.js';
import type { AuthenticatedRequest } from './principal.js';
import { forbidden, unauthorized } from '../common/loa-error.js';
import { AuthController } from './auth.controller.js';

/** Global guard: every route needs an operator bearer token unless marked @Public (or @AllowDevice for devices). */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly devices: DeviceLoginService,
    private readonly config: AppConfig,
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
      if (!user) throw this.config.practice?.mode ? unauthorized('practice.identity-refused') : new UnauthorizedException('invalid or expired token');
      req.principal = user;
      // Issue 19: after an administrator set the password, only the account's own routes (change it, sign out,
      // who am I) answer; the server enforces it, the dashboard only follows.
      if (user.mustChangePassword && ctx.getClass() !== AuthController) throw forbidden('password.change-required');
      // Roles: the route's @Roles (handler over class); none means admin only (deny by default).
      const grants = this.reflector.getAllAndOverride<RoleGrant[] | undefined>(ROLES, targets) ?? ['admin'];
      const allowed = grants.includes(user.role) || (user.role === 'commune_officer' && this.config.officerMaySchedule && grants.includes(OFFICER_IF_SCHEDULING));
      if (!allowed) throw forbidden('role.forbidden', { role: user.role });
      return true;
    }
    if (scheme?.toLowerCase() === 'basic' && credentials && this.reflector.getAllAndOverride<boolean>(ALLOW_DEVICE, targets)) {
      const decoded = Buffer.from(credentials, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const deviceId = decoded.slice(0, colon);
      if (colon <= 0) throw new UnauthorizedException('invalid device credentials');
      // Like MQTT logins: the secret is checked first, failures are answered late (per device id and source address).
      // req.ip honours LOA_TRUST_PROXY (behind a load balancer every device would otherwise share its address).
      const address = (req as { ip?: string; socket?: { remoteAddress?: string } }).ip ?? (req as { socket?: { remoteAddress?: string } }).socket?.remoteAddress;
      const login = await this.devices.login(deviceId, decoded.slice(colon + 1), address);
      if (login.ok) {
        req.principal = { type: 'device', deviceId };
        return true;
      }
      if (login.reason === 'throttled') throw new HttpException('invalid device credentials, and too many failed device logins from this address; try again later', HttpStatus.TOO_MANY_REQUESTS);
      throw new UnauthorizedException(login.reason === 'revoked' ? 'device revoked' : 'invalid device credentials');
    }
    throw new UnauthorizedException('unsupported Authorization scheme');
  }
}
