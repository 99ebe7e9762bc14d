import { Module } from '@nestjs/common';
import { TargetingModule } from '../targeting/targeting.module.js';
import { GroupsController } from './groups.controller.js';
import { GroupsRepository } from './groups.repository.js';
import { GroupsService } from './groups.service.js';

@Module({ imports: [TargetingModule], controllers: [GroupsController], providers: [GroupsRepository, GroupsService], exports: [GroupsService] })
export class GroupsModule {}
