import { Module } from '@nestjs/common';
import { SchedulesModule } from '../schedules/schedules.module.js';
import { GroupsController } from './groups.controller.js';
import { GroupsRepository } from './groups.repository.js';
import { GroupsService } from './groups.service.js';

@Module({ imports: [SchedulesModule], controllers: [GroupsController], providers: [GroupsRepository, GroupsService], exports: [GroupsService] })
export class GroupsModule {}
