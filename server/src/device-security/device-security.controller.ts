import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ScopeService } from '../auth/area-scope.js';
import { EDITORS, Roles } from '../auth/roles.js';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { DeviceSecurityService, type CredentialsView, type RotatedCredentials } from './device-security.service.js';
import { Audit } from '../audit/audit.decorator.js';

@ApiTags('devices')
@ApiBearerAuth()
@Controller('api/v1/devices/:id')
export class DeviceSecurityController {
  constructor(
    private readonly security: DeviceSecurityService,
    private readonly scope: ScopeService,
  ) {}

  @Post('credentials/rotate')
  @ApiOperation({ summary: 'New device secret, shown once; the old one stops working and the device is disconnected. Re-enables a revoked device.' })
  @Roles(EDITORS)
  @Audit('devices.rotate-credentials', { resource: 'device', idParam: 'id' })
  async rotate(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<RotatedCredentials> {
    await this.scope.checkDevice(user, id, 'write');
    return this.security.rotate(id, user.userId);
  }

  @Post('revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke the device: disconnected at once, refused by MQTT and HTTP, shown offline (re-enable by rotating).' })
  @Roles(EDITORS)
  @Audit('devices.revoke', { resource: 'device', idParam: 'id' })
  async revoke(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<CredentialsView> {
    await this.scope.checkDevice(user, id, 'write');
    return this.security.revoke(id, user.userId);
  }

  @Get('credentials')
  @Roles(EDITORS)
  async credentials(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<CredentialsView> {
    await this.scope.checkDevice(user, id, 'read');
    return this.security.view(id);
  }
}
