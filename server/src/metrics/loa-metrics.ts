import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { isDeviceChannel, TOPIC_ROOT } from '@loa/shared';

/** A queue whose depth is read at scrape time (a Batcher's pending items, a lane's backlog). */
export type DepthSource = () => number;

/** Label for an MQTT topic: its device or area channel, never the device id or area code. */
export function channelOfTopic(topic: string): string {
  const deviceRoot = `${TOPIC_ROOT}/d/`;
  const areaRoot = `${TOPIC_ROOT}/a/`;
  const root = topic.startsWith(deviceRoot) ? deviceRoot : topic.startsWith(areaRoot) ? areaRoot : null;
  if (root === null) return 'other';
  const rest = topic.slice(root.length);
  const slash = rest.indexOf('/');
  const channel = slash < 0 ? '' : rest.slice(slash + 1);
  if (root === areaRoot) return channel === 'alert' ? 'area/alert' : 'other';
  return isDeviceChannel(channel) ? channel : 'other';
}

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The one port features report to (issue 20): each call is a cheap in-memory update, and everything lives in a
 * Registry of this Nest application, never prom-client's global one, so several servers in one process (tests)
 * keep their numbers apart. Values that need the database are read at scrape time instead (MetricsCollector).
 */
@Injectable()
export class LoaMetrics {
  readonly registry = new Registry();
  private readonly depths = new Map<string, DepthSource[]>();
  private readonly mqttSent: Counter<'channel'>;
  private readonly ackLatency: Histogram;
  private readonly tts: Histogram<'engine'>;
  private readonly http: Histogram<'method' | 'route' | 'status_class'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters, which `promtool check metrics` refuses; nodejs_active_{handles,requests,resources}
    // (by type) carry the same numbers.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    const registers = [this.registry];
    this.mqttSent = new Counter({ name: 'loa_mqtt_messages_sent_total', help: 'MQTT messages the server published, by channel', labelNames: ['channel'], registers });
    this.ackLatency = new Histogram({
      name: 'loa_playback_event_ack_latency_seconds',
      help: 'From a batch of playback reports taken off MQTT to its events/ack published (after the commit)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.tts = new Histogram({
      name: 'loa_tts_synthesis_seconds',
      help: 'Text-to-speech synthesis time of one request, by engine',
      labelNames: ['engine'],
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 60, 120],
      registers,
    });
    this.http = new Histogram({
      name: 'loa_http_request_duration_seconds',
      help: 'HTTP request time by method, route template (never the raw URL) and status class',
      labelNames: ['method', 'route', 'status_class'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
  }

  /** A message the server published to devices (device or area topic). */
  mqttPublished(topic: string): void {
    this.mqttSent.inc({ channel: channelOfTopic(topic) });
  }

  /** A batch of playback reports acknowledged `seconds` after it was taken from MQTT. */
  eventsAcked(seconds: number): void {
    this.ackLatency.observe(seconds);
  }

  ttsSynthesised(engine: string, seconds: number): void {
    this.tts.observe({ engine }, seconds);
  }

  /** `route` is a template (`/api/v1/devices/:id`) or a fixed word ("unmatched"), never a raw path. */
  httpRequest(method: string, route: string, status: number, seconds: number): void {
    const m = method.toUpperCase();
    this.http.observe({ method: HTTP_METHODS.has(m) ? m : 'OTHER', route, status_class: `${Math.floor(status / 100)}xx` }, seconds);
  }

  /**
   * A queue reported as loa_queue_depth{queue=name}. Several sources under one name are added up (the event
   * ingestion's commit lanes). Returns the function that withdraws it.
   */
  queue(name: string, depth: DepthSource): () => void {
    const list = this.depths.get(name) ?? [];
    list.push(depth);
    this.depths.set(name, list);
    return () => {
      const i = list.indexOf(depth);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** Every registered queue's depth, read now. */
  queueDepths(): Array<{ queue: string; depth: number }> {
    return [...this.depths.entries()].map(([queue, sources]) => ({ queue, depth: sources.reduce((sum, s) => sum + s(), 0) }));
  }
}
