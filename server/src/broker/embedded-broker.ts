import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Aedes, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { allDevicesTopic, DEVICE_CHANNELS, isDeviceChannel, MAX_PAYLOAD_BYTES, mayDevicePublish, mayDeviceSubscribe, MQTT_BAD_CREDENTIALS, MQTT_NOT_AUTHORIZED, parseAreaTopic, type DeviceChannel } from '@loa/shared';
import { AppConfig } from '../config/app-config.js';
import { listenOrExplain } from '../common/listen.js';
import { Metrics } from '../common/metrics.js';
import { DeviceCredentialsService } from '../device-auth/device-credentials.service.js';
import { DeviceLoginService } from '../device-auth/device-login.service.js';
import { readTlsMaterial, type TlsMaterial } from '../common/tls.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { indexExactTopics } from './exact-topic-matcher.js';
import { InFlightHandlers } from './in-flight-handlers.js';
import { indexedMemoryPersistence } from './indexed-persistence.js';
import { guardPacketSize, PACKET_LIMITS, type OversizeReason } from './packet-size-guard.js';
import { MessageBroker, type BrokerState, type MessageHandler, type PublishOptions } from './message-broker.js';

const authError = (message: string, returnCode: 3 | 4 | 5): AuthenticateError => Object.assign(new Error(message), { returnCode });

/** What every per-device topic starts with (`loa/d/`), taken from the shared topic table. */
const DEVICE_TOPIC_PREFIX = allDevicesTopic('status').slice(0, allDevicesTopic('status').indexOf('+'));

/**
 * The channel of `topic` if it is one of this logged-in device's own topics (`<prefix><clientId>/<channel>`), else
 * null. The client id passed the login, so it is a registered device id: the id check of parseDeviceTopic (a zod
 * pass per packet, in a storm 30,000 of them) is already done. Anything else goes through the full ACL.
 */
function ownChannel(clientId: string, topic: string): DeviceChannel | null {
  const at = DEVICE_TOPIC_PREFIX.length + clientId.length;
  if (topic.charCodeAt(at) !== 0x2f || !topic.startsWith(DEVICE_TOPIC_PREFIX) || !topic.startsWith(clientId, DEVICE_TOPIC_PREFIX.length)) return null;
  const channel = topic.slice(at + 1);
  return isDeviceChannel(channel) ? channel : null;
}

const LOGIN_REFUSED = {
  invalid: 'MQTT login refused: unknown device or wrong secret',
  revoked: 'MQTT login refused: the device is revoked',
  throttled: 'MQTT login refused: wrong secret, answered at once because too many failed logins are already held back',
  error: 'MQTT login refused: credentials could not be checked',
} as const;

/**
 * aedes inside the server process: one command runs everything. Devices log in with their id and secret (failures
 * are answered late per id and address, see DeviceLoginService); the ACL (derived from the topic table in @loa/shared) confines each
 * device to its own topics. With TLS configured it also listens for MQTT over TLS (LOA_MQTTS_PORT), and the plain
 * listener is kept only if LOA_MQTT_PLAIN says so.
 */
@Injectable()
export class EmbeddedBroker extends MessageBroker implements OnModuleInit, OnModuleDestroy {
  private aedes: Aedes | null = null;
  private server: Server | null = null;
  private tlsServer: TlsServer | null = null;
  private boundPort: number | null = null;
  private boundTlsPort: number | null = null;
  /** Sessions by client id (= device id), to end them when credentials change. */
  private readonly clients = new Map<string, Client>();
  /** The credentials revision each client logged in under; a session registered after a change is closed at once. */
  private readonly loginRevision = new WeakMap<Client, number>();
  /** Every open MQTT socket, logged in or not: a stop cuts them all, or a half-open login would hold the port. */
  private readonly sockets = new Set<Socket>();
  /** Server-side handlers still running for messages already taken from devices; a stop lets them finish. */
  private readonly handlers: InFlightHandlers;
  private stopping = false;
  private portsClosed: Promise<unknown> = Promise.resolve();
  private stopped: Promise<string[]> | null = null;
  /** Shared by every connection (a listener per socket would be a closure per device). */
  private readonly forgetSocket: (this: Socket) => void;
  private readonly refuseOversize: (socket: Socket, reason: OversizeReason) => void;

  constructor(
    private readonly config: AppConfig,
    private readonly credentials: DeviceCredentialsService,
    private readonly logins: DeviceLoginService,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {
    super();
    this.handlers = new InFlightHandlers((topic, err) => this.logger.error({ ctx: 'mqtt', topic, err: err.message }, 'message handler failed'));
    const sockets = this.sockets;
    this.forgetSocket = function (this: Socket) {
      sockets.delete(this);
    };
    this.refuseOversize = (socket, reason) => {
      this.metrics.inc('mqtt_packet_too_large');
      this.logger.warn({ ctx: 'mqtt', address: socket.remoteAddress, ...reason }, 'MQTT packet over the size limit; connection closed before buffering it');
    };
  }

  /** The plain MQTT port bound; null when only MQTT over TLS listens. */
  get port(): number | null {
    return this.boundPort;
  }

  /** The MQTT-over-TLS port bound; null without TLS. */
  get tlsPort(): number | null {
    return this.boundTlsPort;
  }

  /**
   * The broker exists from onModuleInit (features subscribe in onApplicationBootstrap), but devices are let in only by
   * `open()`, once every feature listens: a fleet reconnecting the moment the port opens must not have its
   * `online` status or its reports published to nobody.
   */
  async onModuleInit(): Promise<void> {
    const aedes = await Aedes.createBroker({
      persistence: indexedMemoryPersistence(),
      authenticate: (client, username, password, done) => void this.authenticate(client, username, password).then((err) => done(err, err === null)),
      authorizePublish: (client, packet, done) => done(this.authorizePublish(client, packet)),
      authorizeSubscribe: (client, sub, done) => this.authorizeSubscribe(client, sub, done),
    });
    if (!indexExactTopics((aedes as unknown as { mq: unknown }).mq)) this.logger.warn({ ctx: 'mqtt' }, 'aedes message routing not indexed by exact topic (unexpected mqemitter version)');
    aedes.on('clientError', (client, err) => this.logger.debug({ ctx: 'mqtt', clientId: client?.id, err: err.message }, 'client error'));
    aedes.on('connectionError', (_client, err) => this.logger.debug({ ctx: 'mqtt', err: err.message }, 'connection error'));
    aedes.on('client', (client) => this.onClientRegistered(client));
    aedes.on('clientDisconnect', (client) => {
      if (this.clients.get(client.id) === client) this.clients.delete(client.id);
    });
    this.aedes = aedes;
  }

  /** Opens the MQTT port(s); startServer calls it after the application is initialised. */
  async open(): Promise<void> {
    const aedes = this.requireBroker();
    const tls = this.config.tls;
    if (tls === null || this.config.mqttPlain) {
      this.server = this.track(createServer((socket) => this.accept(aedes, socket)));
      this.boundPort = await listenOrExplain(this.server, this.config.mqttPort, this.config.mqttHost, 'LOA_MQTT_PORT', 'MQTT');
      this.logger.info({ ctx: 'mqtt', port: this.boundPort, host: this.config.mqttHost }, 'embedded MQTT broker listening');
    }
    if (tls !== null) {
      const material = readTlsMaterial(tls);
      const server = this.track(createTlsServer({ cert: material.cert, key: material.key }, (socket) => this.accept(aedes, socket)));
      // A failed handshake (wrong CA, plain MQTT on the TLS port) is the client's problem, never the server's.
      server.on('tlsClientError', (err) => this.logger.debug({ ctx: 'mqtt', err: err.message }, 'TLS handshake failed'));
      this.tlsServer = server;
      this.boundTlsPort = await listenOrExplain(server, this.config.mqttsPort, this.config.mqttHost, 'LOA_MQTTS_PORT', 'MQTT over TLS');
      this.logger.info({ ctx: 'mqtt', port: this.boundTlsPort, host: this.config.mqttHost }, 'embedded MQTT broker listening for MQTT over TLS');
    }
  }

  /** Every connection goes to aedes behind the packet-size guard. */
  private accept(aedes: Aedes, socket: Socket): void {
    guardPacketSize(socket, PACKET_LIMITS, this.refuseOversize);
    aedes.handle(socket);
  }

  state(): BrokerState {
    return { kind: 'embedded', connected: this.server !== null || this.tlsServer !== null, sessions: this.clients.size };
  }

  /** Swaps in a renewed certificate and key; sessions already open keep theirs, new handshakes use the new ones. */
  reloadTls(material: TlsMaterial): void {
    this.tlsServer?.setSecureContext({ cert: material.cert, key: material.key });
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
    await this.cutSessions();
    const aedes = this.aedes;
    this.aedes = null;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
  }

  /**
   * First step of a graceful stop: intake ends at once and the rest of the stop runs with the fleet still attached.
   * The ports stop accepting, a login still in progress is answered "server unavailable", every further publish
   * is refused (unacknowledged, the device sends it again after the restart) and no last will is published (the
   * server records why the sessions end). Messages already taken from devices are handled to the end, so reports
   * received before the stop are committed. The sessions themselves are cut last (cutSessions, from
   * onModuleDestroy), just before the process exits: a device's outage then starts when the process goes, as after
   * a crash, instead of at the signal, so a planned restart costs the fleet no more than a crash. Resolves with the
   * device ids whose sessions the stop ends; idempotent.
   */
  stop(): Promise<string[]> {
    this.stopping = true;
    this.stopped ??= this.endIntake();
    return this.stopped;
  }

  private async endIntake(): Promise<string[]> {
    const servers = [this.server, this.tlsServer].filter((s): s is Server => s !== null);
    // close() stops accepting at once; its callback waits for the open sockets, which cutSessions ends.
    this.portsClosed = Promise.all(servers.map((server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))));
    const ended = [...this.clients.keys()];
    await this.handlers.settle();
    this.logger.info({ ctx: 'mqtt', sessions: ended.length }, 'MQTT ports closed to new sessions; device messages in progress handled');
    return ended;
  }

  /** Last step of a stop: every device socket is cut (logins in progress too), and the ports are closed. */
  private async cutSessions(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.clients.clear();
    await this.portsClosed;
    this.server = null;
    this.tlsServer = null;
  }

  private track<S extends Server>(server: S): S {
    server.on('connection', (socket: Socket) => {
      if (this.stopping) {
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.on('close', this.forgetSocket);
    });
    return server;
  }

  async disconnect(clientId: string): Promise<void> {
    const client = this.clients.get(clientId);
    if (!client || client.closed) return;
    this.clients.delete(clientId);
    this.metrics.inc('mqtt_disconnected_by_server');
    this.logger.info({ ctx: 'mqtt', deviceId: clientId }, 'disconnecting device session');
    // aedes calls back once the socket is destroyed and the last will handled; never wait on it forever.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5000);
      client.close(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private onClientRegistered(client: Client): void {
    const revision = this.loginRevision.get(client);
    if (revision !== undefined && revision !== this.credentials.revision(client.id)) {
      // Its credentials changed while it was logging in: the check it passed is no longer valid.
      this.logger.info({ ctx: 'mqtt', deviceId: client.id }, 'closing a session opened with superseded credentials');
      client.close();
      return;
    }
    this.clients.set(client.id, client);
  }

  publish(topic: string, payload: Buffer, options: PublishOptions): Promise<void> {
    const aedes = this.requireBroker();
    this.notePublished(topic);
    return new Promise((resolve, reject) =>
      aedes.publish({ cmd: 'publish', topic, payload, qos: options.qos, retain: options.retain, dup: false }, (err) => (err ? reject(err) : resolve())),
    );
  }

  /** Options are ignored: in one process every message has one subscriber anyway. */
  subscribe(filter: string, handler: MessageHandler): Promise<void> {
    const aedes = this.requireBroker();
    return new Promise((resolve) =>
      aedes.subscribe(
        filter,
        (packet, done) => {
          // Handlers own their errors; a throw here must never reach aedes' emitter and stall delivery.
          this.handlers.run(handler, packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload));
          // Acknowledging synchronously lets mqemitter deliver the next queued message inside this call; thousands
          // queued in a connect storm then overflow the stack. Deferring keeps the stack flat.
          setImmediate(done);
        },
        () => resolve(),
      ),
    );
  }

  private async authenticate(client: Client, username: string | undefined, password: Buffer | undefined): Promise<AuthenticateError | null> {
    // A login that arrives while the server stops is told to come back (3 "server unavailable": the device retries
    // with its ordinary back-off, not the long one for refused credentials).
    if (this.stopping) return authError('the server is stopping', 3);
    // The client id must be the device id, or one device could take over another's session.
    if (!username || !password || client.id !== username) {
      this.metrics.inc('mqtt_auth_refused');
      this.logger.warn({ ctx: 'mqtt', clientId: client.id, username }, 'MQTT login refused: client id must equal the device id');
      return authError('bad username or password', MQTT_BAD_CREDENTIALS);
    }
    this.loginRevision.set(client, this.credentials.revision(username));
    // The peer address is read only if the login needs it (see DeviceLoginService.login) or fails (the log line).
    const address = (): string | undefined => (client.conn as Partial<Socket>).remoteAddress;
    const login = await this.logins.login(username, password.toString('utf8'), address).catch(() => null);
    if (login?.ok) return null;
    this.metrics.inc('mqtt_auth_refused');
    const reason = login?.reason ?? 'error';
    this.logger.warn({ ctx: 'mqtt', deviceId: username, address: address(), reason }, LOGIN_REFUSED[reason]);
    // 5 "not authorized" for a revoked or throttled device, 4 "bad user name or password" otherwise.
    return reason === 'revoked' || reason === 'throttled' ? authError('not authorized', MQTT_NOT_AUTHORIZED) : authError('bad username or password', MQTT_BAD_CREDENTIALS);
  }

  private authorizePublish(client: Client | null, packet: PublishPacket): Error | null {
    if (!client) return null;
    // Stopping: nothing more is taken from devices (unacknowledged, it is sent again after the restart), and the last
    // wills of the sessions the server itself ends stay unpublished: those devices did not lose their link.
    if (this.stopping) return new Error('the server is stopping');
    const own = ownChannel(client.id, packet.topic);
    if (!(own !== null ? DEVICE_CHANNELS[own].direction === 'up' : mayDevicePublish(client.id, packet.topic))) {
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

  /** Its own downstream channels are answered at once; only area channels need the device's areas (cached). */
  private authorizeSubscribe(client: Client, sub: Subscription, done: (err: Error | null, sub: Subscription | null) => void): void {
    const own = ownChannel(client.id, sub.topic);
    if (own !== null) {
      done(null, DEVICE_CHANNELS[own].direction === 'down' ? sub : this.refuseSubscribe(client, sub));
      return;
    }
    // Areas are read at subscribe time (cached), not fixed at login, so a device moved to another area can follow
    // its new area's alerts without reconnecting.
    if (!parseAreaTopic(sub.topic)) {
      done(null, mayDeviceSubscribe(client.id, sub.topic) ? sub : this.refuseSubscribe(client, sub));
      return;
    }
    void this.credentials
      .areaCodes(client.id)
      .catch(() => [])
      .then((codes) => done(null, mayDeviceSubscribe(client.id, sub.topic, new Set(codes)) ? sub : this.refuseSubscribe(client, sub)));
  }

  private refuseSubscribe(client: Client, sub: Subscription): null {
    this.metrics.inc('mqtt_subscribe_refused');
    this.logger.warn({ ctx: 'mqtt', deviceId: client.id, topic: sub.topic }, 'subscribe refused');
    return null;
  }

  private requireBroker(): Aedes {
    if (!this.aedes) throw new Error('MQTT broker is not running');
    return this.aedes;
  }
}
