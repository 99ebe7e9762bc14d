import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentUser, Public } from './decorators.js';
import { AuthService, type LoginResult } from './auth.service.js';
import type { AuthenticatedRequest, UserPrincipal } from './principal.js';

const loginSchema = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(200) });

@ApiTags('auth')
@Controller('api/v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  login(@Body({ schema: loginSchema }) body: z.infer<typeof loginSchema>): Promise<LoginResult> {
    return this.auth.login(body.username, body.password);
  }

  @ApiBearerAuth()
  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: AuthenticatedRequest): Promise<void> {
    const header = String(req.headers.authorization ?? '');
    await this.auth.logout(header.slice('Bearer '.length));
  }

  @ApiBearerAuth()
  @Get('me')
  me(@CurrentUser() user: UserPrincipal): UserPrincipal {
    return user;
  }
}
