import { createParamDecorator, SetMetadata, UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest, Principal, UserPrincipal } from './principal.js';

export const IS_PUBLIC = 'loa:public';
export const ALLOW_DEVICE = 'loa:allow-device';

/** The route needs no credentials (health, login). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The route also accepts a device's own credentials (HTTP Basic deviceId:secret), e.g. media downloads. */
export const AllowDevice = () => SetMetadata(ALLOW_DEVICE, true);

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new UnauthorizedException('authentication required');
  return principal;
});

export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): UserPrincipal => {
  const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (principal?.type !== 'user') throw new UnauthorizedException('an operator token is required');
  return principal;
});
