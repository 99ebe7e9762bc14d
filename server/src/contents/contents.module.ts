import { Module } from '@nestjs/common';
import { ContentsController } from './contents.controller.js';
import { ContentsRepository } from './contents.repository.js';
import { ContentsService } from './contents.service.js';

@Module({ controllers: [ContentsController], providers: [ContentsRepository, ContentsService], exports: [ContentsService] })
export class ContentsModule {}
