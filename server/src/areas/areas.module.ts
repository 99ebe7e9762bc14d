import { Module } from '@nestjs/common';
import { AreasController } from './areas.controller.js';
import { AreasImportService } from './areas-import.service.js';
import { AreasRepository } from './areas.repository.js';
import { AreasService } from './areas.service.js';

@Module({ controllers: [AreasController], providers: [AreasRepository, AreasService, AreasImportService], exports: [AreasService] })
export class AreasModule {}
