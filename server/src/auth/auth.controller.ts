import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import type { Capabilities } from '@loa/shared/rest';
import { changePasswordRequestSchema as passwordSchema, loginRequestSchema as loginSchema, refreshRequestSchema as refreshSchema } from '@loa/shared/rest';
import { CurrentUser, Public } from './decorators.js';
import { ANY_ROLE, Roles } from './roles.js';
import { AuthService, type LoginResult } from './auth.service.js';
import type { AuthenticatedRequest, UserPrincipal } from './principal.js';

@ApiTags('auth')
@Roles(ANY_ROLE)
@Controller('api/v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  login(@Body({ schema: loginSchema }) body: z.infer<typeof loginSchema>): Promise<LoginResult> {
    return this.auth.login(body.username, body.password);
  }

  /** Rotates: the refresh token is spent and a new pair comes back; presenting a spent one again ends the login. */
  @Public()
  @Post('refresh')
  @HttpCode(200)
  refresh(@Body({ schema: refreshSchema }) body: z.infer<typeof refreshSchema>): Promise<LoginResult> {
    return this.auth.refresh(body.refreshToken);
  }

  /** Ends this login: the bearer token, the other access tokens of the same login and its refresh token. */
  @ApiBearerAuth()
  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: AuthenticatedRequest): Promise<void> {
    const header = String(req.headers.authorization ?? '');
    await this.auth.logout(header.slice('Bearer '.length));
  }

  /** Changes one's own password; the user's other sessions end. */
  @ApiBearerAuth()
  @Post('password')
  @HttpCode(204)
  async password(@Body({ schema: passwordSchema }) body: z.infer<typeof passwordSchema>, @CurrentUser() user: UserPrincipal, @Req() req: AuthenticatedRequest): Promise<void> {
    const header = String(req.headers.authorization ?? '');
    await this.auth.changePassword(user.userId, body.current, body.new, header.slice('Bearer '.length));
  }

  @ApiBearerAuth()
  @Get('me')
  me(@CurrentUser() user: UserPrincipal): UserPrincipal & { can: Capabilities } {
    // Issue 19: with what the user may do, so a dashboard that kept an older sign-in learns it too.
    return { ...user, can: this.auth.capabilities(user.role) };
  }
}
