import { Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { mayDevicePublish, mayDeviceSubscribe, parseAreaTopic } from '@loa/shared';
import { AppConfig } from '../config/app-config.js';
import { Metrics } from '../common/metrics.js';
import { DeviceCredentialsService } from '../device-auth/device-credentials.service.js';
import { DeviceLoginService } from '../device-auth/device-login.service.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';

/** A login as the broker reports it; `address` is the client's own IP (not the broker's) when the broker sends it. */
export interface BrokerLogin {
  readonly clientId: string;
  readonly username: string;
  readonly password: string;
  readonly address: string | undefined;
}

/** Who asks, as the broker reports the session (authenticated at connect). */
export interface BrokerClient {
  readonly clientId: string;
  readonly username: string;
}

/**
 * publish: the client sends to the topic; subscribe: it asks for a filter; read: the broker is about to deliver a
 * message on this topic to it (Mosquitto plugins check every delivery).
 */
export type BrokerAction = 'publish' | 'subscribe' | 'read';

export type LoginDecision =
  | { readonly result: 'allow'; readonly superuser: true }
  | { readonly result: 'allow'; readonly superuser: false; readonly deviceId: string }
  | { readonly result: 'deny'; readonly reason: 'client-id' | 'invalid' | 'revoked' | 'throttled' | 'server-password' }
  /** The credentials could not be checked (the database failed): the broker's other authenticators may decide. */
  | { readonly result: 'ignore' };

/** MQTT shared-subscription prefixes ($queue/ is EMQX's older form): only the server instances share device traffic. */
const SHARED_PREFIXES = ['$share/', '$queue/'];

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * The broker-independent decisions behind the HTTP auth endpoint (EMQX, mosquitto-go-auth, VerneMQ): the same logins
 * and ACL as the embedded broker. Devices log in with id and secret through DeviceLoginService (same throttling,
 * revocation and metrics), and their client id must be their id; the ACL is the one in @loa/shared. The server's own
 * account (LOA_MQTT_USERNAME/PASSWORD) is the superuser. Everything answers from memory (the credentials cache) in the
 * common case, because a connect storm asks thousands of times a second.
 */
@Injectable()
export class BrokerAuthService {
  private readonly serverUsername: string | null;
  private readonly serverPassword: Buffer | null;

  constructor(
    config: AppConfig,
    private readonly logins: DeviceLoginService,
    private readonly credentials: DeviceCredentialsService,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {
    const broker = config.externalBroker;
    this.serverUsername = broker?.username ?? null;
    this.serverPassword = broker?.password === undefined ? null : digest(broker.password);
  }

  /** True for the server instances' own account. */
  isServer(username: string): boolean {
    return this.serverUsername !== null && username === this.serverUsername;
  }

  async login(l: BrokerLogin): Promise<LoginDecision> {
    if (this.isServer(l.username)) return this.serverLogin(l);
    // The client id must be the device id, or one device could take over another's session.
    if (l.username === '' || l.password === '' || l.clientId !== l.username) {
      this.metrics.inc('broker_authn_denied');
      this.logger.warn({ ctx: 'broker-auth', clientId: l.clientId, username: l.username }, 'broker login refused: client id must equal the device id, with a secret');
      return { result: 'deny', reason: 'client-id' };
    }
    // Failures are answered at once (hold = false): a held HTTP answer would stall the broker's connection pool.
    const login = await this.logins.login(l.username, l.password, l.address, false).catch((err: Error) => {
      this.logger.error({ ctx: 'broker-auth', deviceId: l.username, err: err.message }, 'broker login could not be checked');
      return null;
    });
    if (login === null) {
      this.metrics.inc('broker_authn_error');
      return { result: 'ignore' };
    }
    if (login.ok) {
      this.metrics.inc('broker_authn_allowed');
      return { result: 'allow', superuser: false, deviceId: l.username };
    }
    this.metrics.inc('broker_authn_denied');
    this.logger.warn({ ctx: 'broker-auth', deviceId: l.username, address: l.address, reason: login.reason }, 'broker login refused');
    return { result: 'deny', reason: login.reason };
  }

  /** Superuser check (mosquitto-go-auth asks it apart from the login). */
  isSuperuser(username: string): boolean {
    return this.isServer(username);
  }

  /**
   * May this session do all of `actions` on `topic`? The server account may do anything; a device only what the ACL of
   * @loa/shared grants its id (alert channels by its current areas), and only while it exists and is not revoked.
   */
  async authorize(client: BrokerClient, topic: string, actions: readonly BrokerAction[]): Promise<boolean> {
    if (this.isServer(client.username)) return true;
    const allowed = await this.deviceMay(client, topic, actions);
    if (!allowed) {
      this.metrics.inc('broker_authz_denied');
      // A refused delivery (read) is routine after a move; a refused publish or subscribe is a misbehaving device.
      const level = actions.length === 1 && actions[0] === 'read' ? 'debug' : 'warn';
      this.logger[level]({ ctx: 'broker-auth', clientId: client.clientId, username: client.username, topic, actions }, 'broker authorisation refused');
    }
    return allowed;
  }

  private async deviceMay(client: BrokerClient, topic: string, actions: readonly BrokerAction[]): Promise<boolean> {
    const id = client.username;
    if (id === '' || client.clientId !== id || actions.length === 0) return false;
    if (SHARED_PREFIXES.some((p) => topic.startsWith(p))) return false;
    // Pure checks first: a topic that is not the device's own never costs a lookup.
    const area = parseAreaTopic(topic) !== null;
    for (const action of actions) {
      if (action === 'publish' ? !mayDevicePublish(id, topic) : !area && !mayDeviceSubscribe(id, topic)) return false;
    }
    // From the credentials cache: a revoked or removed device's open session is refused from now on, and alert
    // channels follow the device's current areas (a move needs no reconnect).
    const standing = await this.credentials.standing(id).catch(() => null);
    if (standing === null || standing.revoked) return false;
    return !area || mayDeviceSubscribe(id, topic, new Set(standing.areaCodes));
  }

  private serverLogin(l: BrokerLogin): LoginDecision {
    const given = digest(l.password);
    if (this.serverPassword !== null && timingSafeEqual(given, this.serverPassword)) {
      this.metrics.inc('broker_authn_server');
      return { result: 'allow', superuser: true };
    }
    this.metrics.inc('broker_authn_denied');
    this.logger.warn({ ctx: 'broker-auth', clientId: l.clientId, address: l.address }, 'broker login refused: wrong password for the server account');
    return { result: 'deny', reason: 'server-password' };
  }
}
