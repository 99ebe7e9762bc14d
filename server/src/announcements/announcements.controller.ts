import { Body, Controller, Get, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import {
  announcementListQuerySchema as listQuery,
  communeDeviceCommandRequestSchema as commandSchema,
  createAnnouncementRequestSchema as createSchema,
  type AnnouncementView,
  type CommuneCommandView,
  type MediaUploadView,
  type SpeakerTestsView,
} from '@loa/shared/rest';
import { Audit } from '../audit/audit.decorator.js';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { Roles } from '../auth/roles.js';
import { toMediaView } from '../media/media-view.js';
import { AnnouncementsService } from './announcements.service.js';
import { CommuneCommandsService } from './commune-commands.service.js';
import { RecordingReceiver } from './recording-receiver.js';

/** Who announces within their own area (approvers decide, they do not announce). Where: the service checks. */
const ANNOUNCERS = ['admin', 'operator', 'commune_officer'] as const;

@ApiTags('announcements')
@ApiBearerAuth()
@Roles(ANNOUNCERS)
@Controller('api/v1/announcements')
export class AnnouncementsController {
  constructor(
    private readonly announcements: AnnouncementsService,
    private readonly recordings: RecordingReceiver,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Announce within one’s own area: TTS or a recording → audio content → schedule, through the approval rules (403 announcement.outside-area)' })
  @Audit('announcements.create')
  create(@Body({ schema: createSchema }) body: z.infer<typeof createSchema>, @CurrentUser() user: UserPrincipal): Promise<AnnouncementView> {
    return this.announcements.create(user, body);
  }

  /** The body is the audio itself (content-type audio/webm, audio/ogg…), at most 25 MB. */
  @Post('recordings')
  @ApiOperation({ summary: 'A recorded announcement (raw audio body) through the media pipeline; 201 with the media' })
  @Audit('announcements.record')
  async record(@Req() req: IncomingMessage, @CurrentUser() user: UserPrincipal): Promise<MediaUploadView> {
    const r = await this.recordings.receive(req, user.userId);
    return { ...toMediaView(r.media, r.audio), created: r.created, jobId: r.jobId };
  }

  @Get()
  list(@Query({ schema: listQuery }) q: z.infer<typeof listQuery>, @CurrentUser() user: UserPrincipal): Promise<AnnouncementView[]> {
    return this.announcements.list(user, q.limit);
  }

  @Get(':id')
  get(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<AnnouncementView> {
    return this.announcements.get(user, id);
  }
}

@ApiTags('commune')
@ApiBearerAuth()
@Roles(ANNOUNCERS)
@Controller('api/v1/commune')
export class CommuneDevicesController {
  constructor(private readonly commands: CommuneCommandsService) {}

  /** "Phát thử", "Tự kiểm tra", volume: one speaker of one's own area (403 officer.device-outside). */
  @Post('devices/:id/commands')
  @ApiOperation({ summary: 'Test play, self-test or volume on one speaker of one’s own area; 201 with the device’s result row' })
  @Audit('commune.device-command')
  send(@Param('id') id: string, @Body({ schema: commandSchema }) body: z.infer<typeof commandSchema>, @CurrentUser() user: UserPrincipal): Promise<CommuneCommandView> {
    return this.commands.send(user, id, body);
  }

  @Get('devices/:id/tests')
  tests(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<SpeakerTestsView> {
    return this.commands.tests(user, id);
  }

  @Get('commands/:id')
  get(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<CommuneCommandView> {
    return this.commands.get(user, id);
  }
}
