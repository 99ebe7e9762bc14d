import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { StandardSchemaValidationPipe } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { mkdirSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module.js';
import { AuthService } from './auth/auth.service.js';
import { AppConfig } from './config/app-config.js';
import { openAppDatabase } from './app.database.js';
import { createLogger, NestPinoLogger, type AppLogger } from './logging/logger.js';
import { listenOrExplain } from './common/listen.js';
import { MessageBroker } from './broker/message-broker.js';
import { readBrokerTls } from './broker/broker-tls.js';
import { readTlsMaterial } from './common/tls.js';
import { defaultDashboardDir, mountDashboard } from './dashboard/dashboard-static.js';
import compression from 'compression';
import { json, raw } from 'body-parser';
import { FEEDBACK_SMS_INBOUND_PATH, SOURCE_INBOX_PATH } from '@loa/shared/rest';
import { INBOX_BODY_LIMIT } from './source-system/inbox.service.js';
import { SMS_INBOUND_BODY_LIMIT } from './feedback/sms-inbound.service.js';
import { PUBLIC_FEEDBACK_PATH, publicBodyParser } from './feedback/public-feedback.receiver.js';
import { HttpDrain } from './common/http-drain.js';
import { LoaMetrics } from './metrics/loa-metrics.js';
import { httpMetricsMiddleware } from './metrics/http-metrics.js';

/** Largest JSON body on every route but bulk registration. */
export const JSON_BODY_LIMIT = '1mb';
const BULK_JSON_ROUTE = '/api/v1/devices/bulk';

/** How long a stop waits for HTTP requests in progress (uploads, downloads) before cutting them. */
const HTTP_STOP_GRACE_MS = 5000;

export interface RunningServer {
  app: NestExpressApplication;
  httpPort: number;
  /** Plain MQTT; null when TLS is configured and LOA_MQTT_PLAIN=false, or with an external broker. */
  mqttPort: number | null;
  /** MQTT over TLS; null without TLS, or with an external broker. */
  mqttsPort: number | null;
  /** True when the HTTP port serves HTTPS. */
  https: boolean;
  /** Re-reads LOA_TLS_CERT_FILE/LOA_TLS_KEY_FILE for new connections (certificate renewal); false without TLS. */
  reloadTls(): boolean;
  close(): Promise<void>;
}

/**
 * Builds and starts the whole server: database (migrated), broker, HTTP. Used by main.ts and by tests that need
 * a real server in-process.
 */
export async function startServer(config: AppConfig, logger: AppLogger = createLogger(config.logLevel)): Promise<RunningServer> {
  mkdirSync(config.mediaDir, { recursive: true });
  // Busy ports are found before anything else is opened, so the message comes first and nothing is left half-started.
  await assertPortFree(config.httpPort, config.httpHost, 'HTTP', 'LOA_HTTP_PORT');
  // With an external broker the server listens for no device: they connect to that broker.
  const embeddedBroker = config.externalBroker === null;
  if (embeddedBroker && (config.tls === null || config.mqttPlain)) await assertPortFree(config.mqttPort, config.mqttHost, 'MQTT', 'LOA_MQTT_PORT');
  if (embeddedBroker && config.tls !== null) await assertPortFree(config.mqttsPort, config.mqttHost, 'MQTT over TLS', 'LOA_MQTTS_PORT');
  // Read before anything opens, so a missing or malformed file is reported first (as a ConfigError).
  const tls = config.tls === null ? null : readTlsMaterial(config.tls);
  if (config.externalBroker !== null) readBrokerTls(config.externalBroker);
  const dataSource = await openAppDatabase(config.database);
  let app: NestExpressApplication | undefined;
  let drain: HttpDrain | undefined;
  try {
    app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot({ config, logger, dataSource }), {
      logger: new NestPinoLogger(logger),
      bodyParser: true,
      ...(tls ? { httpsOptions: { cert: tls.cert, key: tls.key } } : {}),
    });
    // Operators open the dashboard on phones over 3G: the device list of a province is ~7 MB of JSON and ~0.7 MB
    // gzipped. Audio and images are not compressible types, so media downloads (and their Range requests) pass as is.
    // Issue 20: every request timed by route template, first so the time includes compression and body parsing.
    app.use(httpMetricsMiddleware(app.get(LoaMetrics)));
    app.use(compression({ threshold: 1024 }));
    // Behind nginx/HAProxy (deploy/scale-out.md) the client's address is in X-Forwarded-For, trusted only from the
    // configured proxies; audit entries and device login throttling use it (req.ip).
    if (config.trustProxy !== null) app.set('trust proxy', config.trustProxy);
    // Bulk device registration (up to 20,000 rows) is the one large JSON body; everything else fits in 1 MB (a group
    // of 15,000 device ids is 0.3 MB). Bodies are parsed before authentication, so an anonymous client must not get
    // to make the server parse 8 MB of `[{},{},…]` on every route. Media goes through multipart.
    app.use(BULK_JSON_ROUTE, json({ limit: '8mb' }));
    // Issue 16: the source-system inbox checks an HMAC over the bytes as sent, so its body stays raw (a Buffer) and is
    // parsed after the signature; the JSON parser below then leaves it alone.
    app.use(SOURCE_INBOX_PATH, raw({ type: () => true, limit: INBOX_BODY_LIMIT }));
    // Issue 17: the SMS gateway's webhook is signed over the raw bytes too.
    app.use(FEEDBACK_SMS_INBOUND_PATH, raw({ type: () => true, limit: SMS_INBOUND_BODY_LIMIT }));
    // The public feedback routes parse their bodies themselves, so a malformed one gets its refusal code too.
    app.use(PUBLIC_FEEDBACK_PATH, publicBodyParser);
    app.useBodyParser('json', { limit: JSON_BODY_LIMIT });
    // Device batches from spreadsheets (POST /api/v1/devices/import).
    app.useBodyParser('text', { type: 'text/csv', limit: '8mb' });
    app.useGlobalPipes(new StandardSchemaValidationPipe());
    const doc = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Loa API')
        .setDescription('Grassroots information broadcast: areas, devices, media, content, schedules, proof of play')
        .setVersion('1')
        .addBearerAuth()
        .build(),
    );
    SwaggerModule.setup('api/docs', app, doc, { jsonDocumentUrl: 'api/docs-json' });
    // Images: the map's tiles (issue 19) and the public address, which the feedback poster's QR code is served from.
    const imgOrigins = [config.map.tileOrigin, ...(config.publicHttpUrl ? [new URL(config.publicHttpUrl).origin] : [])];
    mountDashboard(app, config.dashboardDir ?? defaultDashboardDir(), logger, { imgOrigins });
    drain = new HttpDrain(app.getHttpServer() as HttpServer);
    await app.init();
    await app.get(AuthService).ensureFirstAdmin();
    // Devices are let in once every feature listens to them (see MessageBroker.open).
    await app.get(MessageBroker).open();
    await app.listen(config.httpPort, config.httpHost);
  } catch (err) {
    await app?.close().catch(() => undefined);
    if (dataSource.isInitialized) await dataSource.destroy();
    throw err;
  }
  const started = app;
  const http = drain;
  let closing: Promise<void> | undefined;
  const httpPort = (started.getHttpServer().address() as AddressInfo).port;
  const broker = started.get(MessageBroker);
  const mqttPort = broker.port;
  const mqttsPort = broker.tlsPort;
  const brokerState = broker.state();
  logger.info(
    {
      ctx: 'server',
      instanceId: config.instanceId,
      httpPort,
      https: tls !== null,
      broker: brokerState.kind,
      ...(brokerState.url === undefined ? { mqttPort, mqttsPort } : { brokerUrl: brokerState.url, shareGroup: config.externalBroker?.shareGroup, brokerAccounts: config.externalBroker?.accounts }),
      database: config.database.type,
      dataDir: config.dataDir,
    },
    `Loa server started (${brokerState.kind === 'embedded' ? 'embedded MQTT broker' : `MQTT broker at ${brokerState.url}`})`,
  );
  return {
    app: started,
    httpPort,
    mqttPort,
    mqttsPort,
    https: tls !== null,
    reloadTls: () => {
      if (config.tls === null) return false;
      const renewed = readTlsMaterial(config.tls);
      (started.getHttpServer() as HttpsServer).setSecureContext({ cert: renewed.cert, key: renewed.key });
      broker.reloadTls(renewed);
      logger.info({ ctx: 'server', certFile: config.tls.certFile }, 'TLS certificate reloaded');
      return true;
    },
    close: () => (closing ??= stop()),
  };

  async function stop(): Promise<void> {
    // Intake stops first, on both ports at once, so nothing new reaches the database while it is flushed. Then the
    // sessions the stop ends are recorded, the requests in progress finish (bounded), and Nest's hooks drain the
    // batchers, stop the timers and close the broker, which cuts the device sessions last (see EmbeddedBroker.stop;
    // on an external broker the devices stay connected to it and the stop withdraws this instance's subscriptions).
    const requests = http?.close(HTTP_STOP_GRACE_MS) ?? Promise.resolve(0);
    // The sessions a stop ends are not device outages: presence stays as it was, exactly as after a crash, and the
    // devices' own reconnect (seconds) or, failing that, the heartbeat timeout decides it. Marking every device
    // offline at each deploy flapped the whole fleet, charged device availability with server maintenance, and made
    // the new process record a transition per device during its reconnect storm (a planned restart cost the fleet
    // more than a crash).
    const ended = await broker.stop();
    if (embeddedBroker) logger.info({ ctx: 'server', sessions: ended.length }, 'device sessions end with the stop; their presence is left as it was');
    const cut = await requests;
    if (cut > 0) logger.warn({ ctx: 'server', requests: cut }, 'HTTP requests still running were cut by the stop');
    await started.close();
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

async function assertPortFree(port: number, host: string, what: string, setting: string): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await listenOrExplain(probe, port, host, setting, what);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}
