import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { DashboardConfig } from '@loa/shared/rest';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import { AppConfig } from '../config/app-config.js';

/** What the dashboard needs from the server's settings before drawing (issue 19: the map's tiles). */
@ApiTags('dashboard')
@ApiBearerAuth()
@Controller('api/v1/dashboard')
export class DashboardConfigController {
  constructor(private readonly config: AppConfig) {}

  @Get('config')
  @Roles(ANY_ROLE)
  get(): DashboardConfig {
    return { map: { tileUrl: this.config.map.tileUrl, attribution: this.config.map.attribution }, ...(this.config.practice?.mode ? { practice: true } : {}) };
  }
}
