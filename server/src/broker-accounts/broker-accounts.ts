import { Injectable } from '@nestjs/common';

/** A device secret just minted: the only moment its plaintext exists (the database keeps a sha256 of it). */
export interface IssuedAccount {
  readonly deviceId: string;
  readonly secret: string;
  /**
   * The device's area and its ancestors, root first (whose alert channels it may follow). Null: a pending enrolment,
   * not a device yet: its account exists so the secret is kept, but the broker refuses it until `admitted`.
   */
  readonly areaCodes: readonly string[] | null;
}

/** A device's account at the broker, as the broker itself reports it now (the device's security view). */
export interface BrokerAccountView {
  /**
   * active: the device may log in; disabled: refused (revoked, or an enrolment not claimed yet); missing: the broker
   * has no account for it (rotate its credentials to create one); foreign: an account of that name exists that Loa
   * does not manage (rename one of them); unknown: the broker did not answer.
   */
  readonly state: 'active' | 'disabled' | 'missing' | 'foreign' | 'unknown';
  /** False when the account's areas (alert channels) differ from the device's; null when that cannot be told. */
  readonly areasInSync: boolean | null;
  /** The last failure this server instance met while provisioning the account, if any. */
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
}

/**
 * Device accounts at the MQTT broker, for brokers that keep their own (Mosquitto's dynamic security): the server
 * tells it each change. Secrets are only known when minted (registration, bulk registration, rotation, enrolment),
 * so those callers call `issued` directly; moves, re-parented areas, removals and revocations come as domain events
 * (BrokerAccountsListener). With the embedded broker, or a broker that asks the server (http) or is managed by
 * someone else (none), every method does nothing.
 *
 * No method ever rejects: the change it follows is committed, and a broker failure must not turn it into an error.
 * Failures are logged, counted (metrics `broker_accounts_*`) and shown in the device's security view (`account`);
 * start-up reconciliation repairs what it can.
 */
export abstract class BrokerAccounts {
  /**
   * Creates or updates these accounts with their secret (and re-enables them unless pending). Resolves when the broker
   * confirmed, or after a bound that grows with the batch (the work goes on behind it): a device may log in as soon
   * as the answer that gave it its secret arrives, unless the broker is slower than that bound (logged).
   */
  abstract issued(accounts: readonly IssuedAccount[]): Promise<void>;
  /** A pending enrolment was claimed into these areas: its account (issued at enrolment) may log in from now on. */
  abstract admitted(deviceId: string, areaCodes: readonly string[]): Promise<void>;
  /** These devices moved to another area: their alert channels follow (their sessions are ended, they reconnect). */
  abstract moved(deviceIds: readonly string[]): Promise<void>;
  /** Areas were re-parented: the alert channels of these devices' areas (and their ancestors) follow. */
  abstract reparented(deviceIds: readonly string[]): Promise<void>;
  /** The device was revoked: its account is disabled and its session ended. */
  abstract revoked(deviceId: string): Promise<void>;
  /** Removed devices or rejected enrolments: their accounts are deleted. */
  abstract discarded(deviceIds: readonly string[]): Promise<void>;
  /** What the broker holds for this device; null when the broker's accounts are not Loa's to manage. */
  abstract account(deviceId: string): Promise<BrokerAccountView | null>;
}

/** The embedded broker checks devices itself; http and none brokers hold no accounts of ours. */
@Injectable()
export class NoBrokerAccounts extends BrokerAccounts {
  async issued(): Promise<void> {}
  async admitted(): Promise<void> {}
  async moved(): Promise<void> {}
  async reparented(): Promise<void> {}
  async revoked(): Promise<void> {}
  async discarded(): Promise<void> {}
  async account(): Promise<BrokerAccountView | null> {
    return null;
  }
}
