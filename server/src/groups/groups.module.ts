import { Module } from '@nestjs/common';
import { PlanningModule } from '../planning/planning.module.js';
import { GroupsController } from './groups.controller.js';
import { GroupsRepository } from './groups.repository.js';
import { GroupsService } from './groups.service.js';

@Module({ imports: [PlanningModule], controllers: [GroupsController], providers: [GroupsRepository, GroupsService], exports: [GroupsService] })
export class GroupsModule {}
