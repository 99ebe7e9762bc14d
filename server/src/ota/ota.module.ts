import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module.js';
import { DevicesModule } from '../devices/devices.module.js';
import { TargetingModule } from '../targeting/targeting.module.js';
import { CommandsOtaOffers, OtaOffers } from './ota-offers.js';
import { OtaDownloads } from './ota-downloads.js';
import { OtaLiveListener } from './ota-live.listener.js';
import { OtaReports } from './ota-reports.js';
import { OtaRolloutsJob } from './ota-rollouts.job.js';
import { OtaReleasesController, OtaRolloutsController } from './ota.controller.js';
import { OtaMqttHandler } from './ota.mqtt.js';
import { OtaRepository } from './ota.repository.js';
import { ReleaseStorage } from './release-storage.js';
import { ReleaseUploadReceiver } from './release-upload.receiver.js';
import { ReleasesService } from './releases.service.js';
import { RolloutEngine } from './rollout-engine.js';
import { RolloutsService } from './rollouts.service.js';

/** Issue 20: agent updates over the air, server side (releases, staged rollouts, device reports); docs/ota.md. */
@Module({
  // Commands: offers are signed, queued and answered like any command. Devices: PresenceReader. Targeting: targets.
  imports: [CommandsModule, DevicesModule, TargetingModule],
  controllers: [OtaReleasesController, OtaRolloutsController],
  providers: [
    OtaRepository,
    ReleaseStorage,
    ReleaseUploadReceiver,
    ReleasesService,
    RolloutsService,
    RolloutEngine,
    OtaReports,
    OtaDownloads,
    OtaMqttHandler,
    OtaLiveListener,
    OtaRolloutsJob,
    { provide: OtaOffers, useClass: CommandsOtaOffers },
  ],
  exports: [RolloutEngine, OtaReports],
})
export class OtaModule {}
