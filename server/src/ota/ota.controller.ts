import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  createOtaRolloutRequestSchema,
  OTA_UPLOAD_FIELDS,
  otaRolloutDevicesQuerySchema,
  otaRolloutsQuerySchema,
  stopOtaRolloutRequestSchema,
  type OtaDeviceUpdateView,
  type OtaReleaseView,
  type OtaRolloutDetail,
  type OtaRolloutView,
  type Page,
} from '@loa/shared/rest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { ScopeService } from '../auth/area-scope.js';
import { AllowDevice, CurrentPrincipal, CurrentUser } from '../auth/decorators.js';
import type { Principal, UserPrincipal } from '../auth/principal.js';
import { Roles } from '../auth/roles.js';
import { OtaDownloads } from './ota-downloads.js';
import { ReleaseUploadReceiver } from './release-upload.receiver.js';
import { ReleasesService } from './releases.service.js';
import { RolloutsService } from './rollouts.service.js';

const targetsOf = (t: { areaCode: string } | { groupId: string }) => ('areaCode' in t ? { areas: [t.areaCode] } : { groups: [t.groupId] });

/** Agent releases (issue 20): upload (verified before anything is kept), list, delete; the package for devices. */
@ApiTags('ota')
@ApiBearerAuth()
@Roles('admin')
@Controller('api/v1/ota/releases')
export class OtaReleasesController {
  constructor(
    private readonly receiver: ReleaseUploadReceiver,
    private readonly releases: ReleasesService,
    private readonly downloads: OtaDownloads,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Upload a release: the .tar.gz package and its detached .sig JSON; 201 verified and stored, 4xx refused with a code (nothing stored)' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: [OTA_UPLOAD_FIELDS.package, OTA_UPLOAD_FIELDS.signature],
      properties: { [OTA_UPLOAD_FIELDS.package]: { type: 'string', format: 'binary' }, [OTA_UPLOAD_FIELDS.signature]: { type: 'string', format: 'binary' } },
    },
  })
  async upload(@CurrentUser() user: UserPrincipal, @Req() req: IncomingMessage, @Res({ passthrough: true }) res: ServerResponse): Promise<OtaReleaseView> {
    // Before reading a byte: without release keys nothing could be verified.
    this.releases.requireKeys();
    const received = await this.receiver.receive(req, res);
    res.statusCode = 201;
    return this.releases.upload(received, user.userId);
  }

  @Get()
  list(): Promise<OtaReleaseView[]> {
    return this.releases.list();
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<OtaReleaseView> {
    return this.releases.get(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a release no rollout uses (409 otherwise)' })
  async remove(@Param('id') id: string): Promise<void> {
    await this.releases.remove(id);
  }

  @AllowDevice()
  @ApiBasicAuth()
  @ApiOperation({ summary: 'The package, for a device with an offer of it in progress (HTTP Basic deviceId:secret; 404 otherwise); Range and If-Range supported' })
  @Get(':id/package')
  async download(@Param('id') id: string, @CurrentPrincipal() who: Principal, @Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    await this.downloads.send(id, who, req, res);
  }
}

/** Staged rollouts (issue 20): create, steer, follow. */
@ApiTags('ota')
@ApiBearerAuth()
@Roles('admin')
@Controller('api/v1/ota/rollouts')
export class OtaRolloutsController {
  constructor(
    private readonly rollouts: RolloutsService,
    private readonly scope: ScopeService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Start a staged rollout of a release to an area subtree or a group (devices and stages fixed now)' })
  async create(@Body({ schema: createOtaRolloutRequestSchema }) body: z.output<typeof createOtaRolloutRequestSchema>, @CurrentUser() user: UserPrincipal): Promise<OtaRolloutDetail> {
    await this.scope.checkTargets(user, targetsOf(body.target), 'write');
    return this.rollouts.create(body, user);
  }

  @Get()
  async list(@Query({ schema: otaRolloutsQuerySchema }) q: z.output<typeof otaRolloutsQuerySchema>, @CurrentUser() user: UserPrincipal): Promise<Page<OtaRolloutView>> {
    return this.rollouts.list(q, await this.scope.of(user));
  }

  @Get(':id')
  async get(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<OtaRolloutDetail> {
    return this.rollouts.detail(id, await this.scope.of(user));
  }

  @Get(':id/devices')
  async devices(@Param('id') id: string, @Query({ schema: otaRolloutDevicesQuerySchema }) q: z.output<typeof otaRolloutDevicesQuerySchema>, @CurrentUser() user: UserPrincipal): Promise<Page<OtaDeviceUpdateView>> {
    return this.rollouts.devices(id, q, await this.scope.of(user));
  }

  @Post(':id/pause')
  @HttpCode(200)
  async pause(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<OtaRolloutDetail> {
    return this.rollouts.pause(id, await this.scope.of(user));
  }

  @Post(':id/resume')
  @HttpCode(200)
  async resume(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<OtaRolloutDetail> {
    return this.rollouts.resume(id, await this.scope.of(user));
  }

  @Post(':id/stop')
  @HttpCode(200)
  async stop(@Param('id') id: string, @Body({ schema: stopOtaRolloutRequestSchema }) body: z.output<typeof stopOtaRolloutRequestSchema>, @CurrentUser() user: UserPrincipal): Promise<OtaRolloutDetail> {
    return this.rollouts.stop(id, await this.scope.of(user), body.reason, user.username);
  }
}
