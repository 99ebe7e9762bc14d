import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module.js';
import { ContentsModule } from '../contents/contents.module.js';
import { DevicesModule } from '../devices/devices.module.js';
import { MediaModule } from '../media/media.module.js';
import { SchedulesModule } from '../schedules/schedules.module.js';
import { TtsModule } from '../tts/tts.module.js';
import { AnnouncementApprovalListener } from './announcement-approval.listener.js';
import { AnnouncementsController, CommuneDevicesController } from './announcements.controller.js';
import { AnnouncementsRepository } from './announcements.repository.js';
import { AnnouncementsService } from './announcements.service.js';
import { CommuneCommandsService } from './commune-commands.service.js';
import { RecordingReceiver } from './recording-receiver.js';
import { AnnouncementResumeJob } from './announcement-resume.job.js';

/**
 * Issue 19, the commune's own mode: announcements (content + schedule through the usual approval rules) and test
 * play, self-test and volume on one's own speakers. Built on the features' public services, no parallel path.
 */
@Module({
  imports: [ContentsModule, SchedulesModule, TtsModule, MediaModule, CommandsModule, DevicesModule],
  controllers: [AnnouncementsController, CommuneDevicesController],
  providers: [AnnouncementsRepository, AnnouncementsService, AnnouncementApprovalListener, AnnouncementResumeJob, CommuneCommandsService, RecordingReceiver],
})
export class AnnouncementsModule {}
