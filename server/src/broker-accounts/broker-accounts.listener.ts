import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { DomainEventMap } from '../domain-events/domain-events.js';
import { BrokerAccounts } from './broker-accounts.js';

/**
 * The changes that reach the broker's accounts as domain events (the secrets' changes call BrokerAccounts directly).
 * `areas.moved` and `device.revoked` are emitted with emitAsync: the import's and the revocation's answers wait for
 * the broker (bounded); a move (emit) goes on behind its answer.
 */
@Injectable()
export class BrokerAccountsListener {
  constructor(private readonly accounts: BrokerAccounts) {}

  @OnEvent('device.moved')
  onMoved({ deviceId }: DomainEventMap['device.moved']): Promise<void> {
    return this.accounts.moved([deviceId]);
  }

  @OnEvent('areas.moved')
  onAreasMoved({ deviceIds }: DomainEventMap['areas.moved']): Promise<void> {
    return this.accounts.reparented(deviceIds);
  }

  @OnEvent('device.removed')
  onRemoved({ deviceId }: DomainEventMap['device.removed']): Promise<void> {
    return this.accounts.discarded([deviceId]);
  }

  @OnEvent('device.revoked')
  onRevoked({ deviceId }: DomainEventMap['device.revoked']): Promise<void> {
    return this.accounts.revoked(deviceId);
  }
}
