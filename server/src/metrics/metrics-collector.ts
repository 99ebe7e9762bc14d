import { Injectable } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { Counter, Gauge } from 'prom-client';
import { DEVICE_CHANNELS, PROTOCOL_VERSION, type DeviceChannel } from '@loa/shared';
import { Metrics } from '../common/metrics.js';
import { AppConfig } from '../config/app-config.js';
import { MessageBroker } from '../broker/message-broker.js';
import { LeaderGate } from '../jobs/leader-gate.js';
import { FleetStatsReader, type FleetStats } from './fleet-stats.repository.js';
import { LoaMetrics } from './loa-metrics.js';
import { serverVersion } from './server-version.js';

/**
 * Counters of common/metrics.ts (counted where they happen, also shown on /api/health) exposed under Prometheus
 * names: read from that one map at scrape time, so nothing is counted twice. Counters not named here appear in
 * loa_internal_events{name}.
 */
const REFUSALS: Record<string, string> = {
  mqtt_message_refused: 'invalid',
  mqtt_publish_refused: 'acl',
  mqtt_subscribe_refused: 'subscribe',
  mqtt_packet_too_large: 'oversize',
};
const UP_CHANNELS = (Object.keys(DEVICE_CHANNELS) as DeviceChannel[]).filter((c) => DEVICE_CHANNELS[c].direction === 'up');
/** The name DeviceMessageRouter counts a valid message of the channel under. */
const receivedCounter = (channel: DeviceChannel) => `mqtt_${channel.replace('/', '_')}_received`;
const NAMED = new Set<string>(['mqtt_auth_refused', 'events_committed', 'events_duplicate', 'events_commit_failed', ...Object.keys(REFUSALS), ...UP_CHANNELS.map(receivedCounter)]);

/** What prom-client's collect callbacks are handed: the metric itself, to reset and set. */
type Settable = { reset(): void; set(labels: Record<string, string>, v: number): void };
type Incrementable = { reset(): void; inc(labels: Record<string, string>, v: number): void };

/**
 * Every value read at scrape time: the database aggregates (FleetStatsReader), the in-process queues, the broker,
 * the pool, the disk, the certificate, leadership. Registered once on the application's LoaMetrics registry.
 */
@Injectable()
export class MetricsCollector {
  constructor(
    private readonly loa: LoaMetrics,
    private readonly counters: Metrics,
    private readonly stats: FleetStatsReader,
    private readonly config: AppConfig,
    private readonly broker: MessageBroker,
    private readonly leader: LeaderGate,
  ) {
    this.register();
    broker.observePublishes((topic) => loa.mqttPublished(topic));
  }

  private register(): void {
    const registers = [this.loa.registry];
    const stats = () => this.stats.read();
    const counters = this.counters;
    const gauge = (name: string, help: string, labelNames: string[], fill: (g: Settable, s: FleetStats) => void | Promise<void>, needsStats = true) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          this.reset();
          await fill(this as unknown as Settable, needsStats ? await stats() : (null as unknown as FleetStats));
        },
      });
    const counter = (name: string, help: string, labelNames: string[], fill: (c: Incrementable) => void) =>
      new Counter({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          fill(this as unknown as Incrementable);
        },
      });

    gauge('loa_build_info', 'Always 1; the labels tell the server version and the device protocol', ['version', 'protocol'], (g) => g.set({ version: serverVersion(), protocol: String(PROTOCOL_VERSION) }, 1), false);
    gauge('loa_leader', '1 when this instance runs the fleet-wide periodic jobs (leader), else 0', [], (g) => g.set({}, this.leader.isLeader() ? 1 : 0), false);

    // Devices.
    gauge('loa_devices', 'Registered devices by kind', ['kind'], (g, s) => s.devices?.forEach((d) => g.set({ kind: d.kind }, d.total)));
    gauge('loa_devices_online', 'Devices online by kind', ['kind'], (g, s) => s.devices?.forEach((d) => g.set({ kind: d.kind }, d.online)));
    gauge('loa_area_devices', `Devices per area of the level LOA_METRICS_OFFLINE_AREA_LEVEL (default district)`, ['area', 'area_name', 'level'], (g, s) =>
      s.areas?.forEach((a) => g.set({ area: a.code, area_name: a.name, level: a.level }, a.total)),
    );
    gauge('loa_area_devices_offline', 'Offline devices per area of the level LOA_METRICS_OFFLINE_AREA_LEVEL (default district)', ['area', 'area_name', 'level'], (g, s) =>
      s.areas?.forEach((a) => g.set({ area: a.code, area_name: a.name, level: a.level }, a.offline)),
    );
    gauge('loa_devices_timeline_behind', 'Devices whose acknowledged timeline version is older than their current one', ['online'], (g, s) => {
      if (!s.timelineBehind) return;
      g.set({ online: 'true' }, s.timelineBehind.online);
      g.set({ online: 'false' }, s.timelineBehind.offline);
    });

    // Work waiting.
    gauge('loa_media_jobs', 'Audio processing jobs: queued, running (receiving or processing) and failed (kept for the uploader)', ['state'], (g, s) => {
      if (!s.mediaJobs) return;
      for (const [state, n] of Object.entries(s.mediaJobs)) g.set({ state }, n);
    });
    gauge('loa_fanout_jobs', 'Fan-out jobs (schedules, commands, alerts to many devices) not finished, by state', ['state'], (g, s) => {
      if (!s.fanouts) return;
      for (const [state, n] of Object.entries(s.fanouts.jobs)) g.set({ state }, n);
    });
    gauge('loa_fanout_devices_pending', 'Devices unfinished fan-out jobs still have to reach', [], (g, s) => {
      if (s.fanouts) g.set({}, s.fanouts.devicesPending);
    });
    gauge('loa_notification_outbox_pending', 'E-mails and SMS waiting in the notifications outbox', [], (g, s) => {
      if (s.outbox) g.set({}, s.outbox.pending);
    });
    gauge('loa_notification_outbox_oldest_age_seconds', 'Age of the oldest message waiting in the notifications outbox (0 when empty)', [], (g, s) => {
      if (s.outbox) g.set({}, s.outbox.oldestAgeS);
    });
    gauge('loa_queue_depth', 'Items waiting in an in-process batcher of this instance (presence, playback event commits, timeline acks)', ['queue'], (g) => {
      for (const q of this.loa.queueDepths()) g.set({ queue: q.queue }, q.depth);
    }, false);
    gauge('loa_metrics_database_up', '1 when every aggregate query of this scrape answered, else 0', [], (g, s) => g.set({}, s.failed === 0 ? 1 : 0));

    // Broker and MQTT.
    gauge('loa_broker_up', 'Embedded broker: listening; external broker: the server\'s session is up', ['broker'], (g) => {
      const st = this.broker.state();
      g.set({ broker: st.kind }, st.connected ? 1 : 0);
    }, false);
    gauge('loa_broker_connections', 'Device MQTT sessions on the embedded broker (absent with an external broker)', [], (g) => {
      const n = this.broker.state().sessions;
      if (n !== undefined) g.set({}, n);
    }, false);
    counter('loa_broker_connection_refusals_total', 'MQTT logins refused (unknown device, wrong secret, revoked, throttled)', [], (c) => c.inc({}, counters.get('mqtt_auth_refused')));
    counter('loa_mqtt_messages_received_total', 'Valid device messages taken from MQTT, by channel', ['channel'], (c) => {
      for (const ch of UP_CHANNELS) c.inc({ channel: ch }, counters.get(receivedCounter(ch)));
    });
    counter('loa_mqtt_messages_refused_total', 'Device MQTT traffic refused: invalid payload, ACL, subscription, oversize packet', ['reason'], (c) => {
      for (const [name, reason] of Object.entries(REFUSALS)) c.inc({ reason }, counters.get(name));
    });
    counter('loa_playback_events_committed_total', 'Playback reports committed (new ones; replays are absorbed)', [], (c) => c.inc({}, counters.get('events_committed')));
    counter('loa_playback_events_duplicate_total', 'Playback reports received again and absorbed by their id', [], (c) => c.inc({}, counters.get('events_duplicate')));
    counter('loa_playback_event_commit_failures_total', 'Report batches whose commit failed (agents resend them)', [], (c) => c.inc({}, counters.get('events_commit_failed')));
    gauge('loa_internal_events', 'The server\'s other internal counters (see /api/health counters), by name; a few dynsec ones are levels', ['name'], (g) => {
      for (const [name, v] of Object.entries(counters.snapshot())) if (!NAMED.has(name)) g.set({ name }, v);
    }, false);

    // Resources.
    gauge('loa_db_pool_connections', 'Database connections by state (SQLite: one connection, kind="sqlite")', ['kind', 'state'], (g) => {
      const pool = this.stats.pool();
      if (pool === null) {
        g.set({ kind: 'sqlite', state: 'total' }, 1);
        return;
      }
      g.set({ kind: 'postgres', state: 'total' }, pool.totalCount);
      g.set({ kind: 'postgres', state: 'idle' }, pool.idleCount);
    }, false);
    gauge('loa_db_pool_waiting_clients', 'Queries waiting for a free database connection', ['kind'], (g) => {
      const pool = this.stats.pool();
      g.set({ kind: pool === null ? 'sqlite' : 'postgres' }, pool?.waitingCount ?? 0);
    }, false);
    const dataDir = this.config.dataDir;
    gauge('loa_data_dir_free_bytes', 'Bytes available to the server on the data directory\'s file system', [], async (g) => {
      const fs = await statfs(dataDir).catch(() => null);
      if (fs) g.set({}, fs.bavail * fs.bsize);
    }, false);
    gauge('loa_data_dir_size_bytes', 'Size of the data directory\'s file system', [], async (g) => {
      const fs = await statfs(dataDir).catch(() => null);
      if (fs) g.set({}, fs.blocks * fs.bsize);
    }, false);
    const tls = this.config.tls;
    if (tls !== null) {
      // Read at every scrape: a renewal (SIGHUP) swaps the file, and the gauge must follow without a restart.
      gauge('loa_tls_certificate_expiry_timestamp_seconds', 'When the HTTPS/MQTTS certificate (LOA_TLS_CERT_FILE) expires, Unix seconds', [], (g) => {
        try {
          g.set({}, Math.floor(Date.parse(new X509Certificate(readFileSync(tls.certFile)).validTo) / 1000));
        } catch {
          // An unreadable file: no sample, and the expiry alert's absent() rule speaks.
        }
      }, false);
    }
  }
}
