import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Aedes, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import { createServer, type Server } from 'node:net';
import { MAX_PAYLOAD_BYTES, mayDevicePublish, mayDeviceSubscribe, parseAreaTopic } from '@loa/shared';
import { AppConfig } from '../config/app-config.js';
import { listenOrExplain } from '../common/listen.js';
import { Metrics } from '../common/metrics.js';
import { DeviceCredentialsService } from '../device-auth/device-credentials.service.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { indexedMemoryPersistence } from './indexed-persistence.js';
import { MessageBroker, type MessageHandler, type PublishOptions } from './message-broker.js';

const authError = (message: string, returnCode: 4 | 5): AuthenticateError => Object.assign(new Error(message), { returnCode });

/**
 * aedes inside the server process: one command runs everything. Devices log in with their id and secret; the
 * ACL (derived from the topic table in @loa/shared) confines each device to its own topics.
 */
@Injectable()
export class EmbeddedBroker extends MessageBroker implements OnModuleInit, OnModuleDestroy {
  private aedes: Aedes | null = null;
  private server: Server | null = null;
  private boundPort: number | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly credentials: DeviceCredentialsService,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {
    super();
  }

  get port(): number | null {
    return this.boundPort;
  }

  /** Features subscribe in onApplicationBootstrap, which Nest runs after every onModuleInit. */
  async onModuleInit(): Promise<void> {
    const aedes = await Aedes.createBroker({
      persistence: indexedMemoryPersistence(),
      authenticate: (client, username, password, done) => void this.authenticate(client, username, password).then((err) => done(err, err === null)),
      authorizePublish: (client, packet, done) => done(this.authorizePublish(client, packet)),
      authorizeSubscribe: (client, sub, done) => void this.authorizeSubscribe(client, sub).then((granted) => done(null, granted)),
    });
    aedes.on('clientError', (client, err) => this.logger.debug({ ctx: 'mqtt', clientId: client?.id, err: err.message }, 'client error'));
    aedes.on('connectionError', (_client, err) => this.logger.debug({ ctx: 'mqtt', err: err.message }, 'connection error'));
    this.aedes = aedes;
    this.server = createServer(aedes.handle);
    this.boundPort = await listenOrExplain(this.server, this.config.mqttPort, this.config.mqttHost, 'LOA_MQTT_PORT', 'MQTT');
    this.logger.info({ ctx: 'mqtt', port: this.boundPort, host: this.config.mqttHost }, 'embedded MQTT broker listening');
  }

  async onModuleDestroy(): Promise<void> {
    const server = this.server;
    const aedes = this.aedes;
    this.server = null;
    this.aedes = null;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  publish(topic: string, payload: Buffer, options: PublishOptions): Promise<void> {
    const aedes = this.requireBroker();
    return new Promise((resolve, reject) =>
      aedes.publish({ cmd: 'publish', topic, payload, qos: options.qos, retain: options.retain, dup: false }, (err) => (err ? reject(err) : resolve())),
    );
  }

  subscribe(filter: string, handler: MessageHandler): Promise<void> {
    const aedes = this.requireBroker();
    return new Promise((resolve) =>
      aedes.subscribe(
        filter,
        (packet, done) => {
          // Handlers own their errors; a throw here must never reach aedes' emitter and stall delivery.
          Promise.resolve()
            .then(() => handler(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload)))
            .catch((err: Error) => this.logger.error({ ctx: 'mqtt', topic: packet.topic, err: err.message }, 'message handler failed'));
          // Acknowledging synchronously lets mqemitter deliver the next queued message inside this call; thousands
          // queued in a connect storm then overflow the stack. Deferring keeps the stack flat.
          setImmediate(done);
        },
        () => resolve(),
      ),
    );
  }

  private async authenticate(client: Client, username: string | undefined, password: Buffer | undefined): Promise<AuthenticateError | null> {
    // The client id must be the device id, or one device could take over another's session.
    if (!username || !password || client.id !== username) {
      this.metrics.inc('mqtt_auth_refused');
      this.logger.warn({ ctx: 'mqtt', clientId: client.id, username }, 'MQTT login refused: client id must equal the device id');
      return authError('bad username or password', 4);
    }
    const device = await this.credentials.authenticate(username, password.toString('utf8')).catch(() => null);
    if (!device) {
      this.metrics.inc('mqtt_auth_refused');
      this.logger.warn({ ctx: 'mqtt', deviceId: username }, 'MQTT login refused: unknown device or wrong secret');
      return authError('bad username or password', 4);
    }
    return null;
  }

  private authorizePublish(client: Client | null, packet: PublishPacket): Error | null {
    if (!client) return null;
    if (!mayDevicePublish(client.id, packet.topic)) {
      this.metrics.inc('mqtt_publish_refused');
      this.logger.warn({ ctx: 'mqtt', deviceId: client.id, topic: packet.topic }, 'publish refused: not this device\'s topic; disconnecting');
      return new Error(`device ${client.id} may not publish to ${packet.topic}`);
    }
    if (packet.payload.length > MAX_PAYLOAD_BYTES) {
      this.metrics.inc('mqtt_publish_refused');
      this.logger.warn({ ctx: 'mqtt', deviceId: client.id, bytes: packet.payload.length }, 'publish refused: payload too large; disconnecting');
      return new Error(`payload exceeds ${MAX_PAYLOAD_BYTES} bytes`);
    }
    return null;
  }

  private async authorizeSubscribe(client: Client, sub: Subscription): Promise<Subscription | null> {
    // Areas are read at subscribe time (cached), not fixed at login, so a device moved to another area can follow
    // its new area's alerts without reconnecting.
    const areas = parseAreaTopic(sub.topic) ? new Set(await this.credentials.areaCodes(client.id).catch(() => [])) : undefined;
    if (mayDeviceSubscribe(client.id, sub.topic, areas)) return sub;
    this.metrics.inc('mqtt_subscribe_refused');
    this.logger.warn({ ctx: 'mqtt', deviceId: client.id, topic: sub.topic }, 'subscribe refused');
    return null;
  }

  private requireBroker(): Aedes {
    if (!this.aedes) throw new Error('MQTT broker is not running');
    return this.aedes;
  }
}
