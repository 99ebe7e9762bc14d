import { Module } from '@nestjs/common';
import { DeviceAuthModule } from '../device-auth/device-auth.module.js';
import { AreasController } from './areas.controller.js';
import { AreasImportService } from './areas-import.service.js';
import { AreasRepository } from './areas.repository.js';
import { AreasService } from './areas.service.js';

@Module({ imports: [DeviceAuthModule], controllers: [AreasController], providers: [AreasRepository, AreasService, AreasImportService], exports: [AreasService] })
export class AreasModule {}
