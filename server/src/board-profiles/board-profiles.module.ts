import { Module } from '@nestjs/common';
import { BoardProfilesController } from './board-profiles.controller.js';
import { BoardProfilesRepository } from './board-profiles.repository.js';
import { BoardProfilesService } from './board-profiles.service.js';

/** Board models (resolution, orientation), under /api/v1/board-profiles. */
@Module({ controllers: [BoardProfilesController], providers: [BoardProfilesRepository, BoardProfilesService], exports: [BoardProfilesService] })
export class BoardProfilesModule {}
