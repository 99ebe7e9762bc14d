import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { otaReportSchema } from '@loa/shared';
import { DeviceMessageRouter } from '../broker/device-message-router.js';
import type { DomainEventMap } from '../domain-events/domain-events.js';
import { OtaReports } from './ota-reports.js';

/**
 * Devices' `ota` reports (the router validates them and drops forged topics, counting them) and the answers to
 * update commands (the commands feature's `command.results`).
 */
@Injectable()
export class OtaMqttHandler implements OnApplicationBootstrap {
  constructor(
    private readonly router: DeviceMessageRouter,
    private readonly reports: OtaReports,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.router.on('ota', otaReportSchema, async (deviceId, msg) => {
      await this.reports.report(deviceId, msg);
    });
  }

  @OnEvent('command.results')
  onCommandResults({ results }: DomainEventMap['command.results']): void {
    void this.reports.commandResults(results);
  }
}
