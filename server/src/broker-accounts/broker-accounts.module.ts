import { Global, Inject, Injectable, Module, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { Clock } from '../common/clock.js';
import { Metrics } from '../common/metrics.js';
import { MessageBroker } from '../broker/message-broker.js';
import { JobScheduler } from '../jobs/job-scheduler.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { BrokerAccounts, NoBrokerAccounts } from './broker-accounts.js';
import { BrokerAccountsListener } from './broker-accounts.listener.js';
import { BrokerAccountsRepository } from './broker-accounts.repository.js';
import { DynsecRuntime } from './dynsec-runtime.js';

/** The DynsecRuntime; null unless LOA_BROKER_ACCOUNTS=dynsec. */
export const DYNSEC = Symbol('DynsecRuntime');

export const DYNSEC_RECONCILE_JOB = 'broker-accounts.reconcile';
/** Besides start-up and each gain of leadership: drift (a failed update, a hand edit) is repaired within this. */
const RECONCILE_EVERY_MS = 6 * 3600_000;

/** Wires dynsec into the broker connection and the leader's jobs. */
@Injectable()
export class DynsecLifecycle implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(DYNSEC) private readonly dynsec: DynsecRuntime | null,
    private readonly broker: MessageBroker,
    private readonly jobs: JobScheduler,
  ) {}

  onModuleInit(): void {
    const dynsec = this.dynsec;
    // MessageBroker.disconnect (rotation, revocation) ends sessions through the plugin.
    if (dynsec) this.broker.setSessionTerminator((deviceId) => dynsec.accounts.endSession(deviceId));
  }

  onApplicationBootstrap(): void {
    const dynsec = this.dynsec;
    // Its commands wait until the broker answers on the response topic, i.e. until MessageBroker.open().
    if (dynsec) this.jobs.schedule({ name: DYNSEC_RECONCILE_JOB, intervalMs: RECONCILE_EVERY_MS, runAtStart: true, run: () => dynsec.reconciler.run() });
  }

  onApplicationShutdown(): void {
    this.dynsec?.control.close();
  }
}

/**
 * Device accounts at an external broker that keeps its own (LOA_BROKER_ACCOUNTS=dynsec: Mosquitto's dynamic
 * security); otherwise BrokerAccounts does nothing. Global, so the services that mint secrets inject it directly.
 */
@Global()
@Module({
  providers: [
    BrokerAccountsRepository,
    {
      provide: DYNSEC,
      useFactory: (config: AppConfig, broker: MessageBroker, repo: BrokerAccountsRepository, clock: Clock, metrics: Metrics, logger: AppLogger): DynsecRuntime | null =>
        config.externalBroker?.accounts === 'dynsec' ? new DynsecRuntime(config, broker, repo, clock, metrics, logger) : null,
      inject: [AppConfig, MessageBroker, BrokerAccountsRepository, Clock, Metrics, LOGGER],
    },
    { provide: BrokerAccounts, useFactory: (dynsec: DynsecRuntime | null): BrokerAccounts => dynsec?.accounts ?? new NoBrokerAccounts(), inject: [DYNSEC] },
    BrokerAccountsListener,
    DynsecLifecycle,
  ],
  exports: [BrokerAccounts, DYNSEC],
})
export class BrokerAccountsModule {}
