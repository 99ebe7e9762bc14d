import type { AppConfig } from '../config/app-config.js';
import type { Clock } from '../common/clock.js';
import type { Metrics } from '../common/metrics.js';
import type { AppLogger } from '../logging/logger.js';
import { DynsecControl } from './dynsec-control.js';
import { brokerTransport } from './dynsec-transport.js';
import type { MessageBroker } from '../broker/message-broker.js';
import type { BrokerAccountsRepository } from './broker-accounts.repository.js';
import { DynsecBrokerAccounts } from './dynsec-accounts.js';
import { DynsecReconciler } from './dynsec-reconciler.js';

/** Everything LOA_BROKER_ACCOUNTS=dynsec runs on, made once. */
export class DynsecRuntime {
  readonly control: DynsecControl;
  readonly accounts: DynsecBrokerAccounts;
  readonly reconciler: DynsecReconciler;

  constructor(config: AppConfig, broker: MessageBroker, repo: BrokerAccountsRepository, clock: Clock, metrics: Metrics, logger: AppLogger) {
    this.control = new DynsecControl(brokerTransport(broker), config.instanceId, clock, metrics, logger);
    this.accounts = new DynsecBrokerAccounts(this.control, repo, clock, metrics, logger);
    this.reconciler = new DynsecReconciler(this.control, repo, clock, metrics, logger);
  }
}
