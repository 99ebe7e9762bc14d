import { channelOfTopic, LoaMetrics } from './loa-metrics.js';
import { EventLoopWatch } from './event-loop-watch.js';
import { FleetStatsReader } from './fleet-stats.repository.js';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { Clock } from '../common/clock.js';

const value = async (m: LoaMetrics, name: string, labels: Record<string, string>) => {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name);
  return metric?.values.find((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l) && Object.keys(v.labels).length === Object.keys(labels).length)?.value;
};

describe('LoaMetrics', () => {
  it('labels topics by channel, never by device or area', () => {
    expect(channelOfTopic('loa/v1/d/spk-1/events/ack')).toBe('events/ack');
    expect(channelOfTopic('loa/v1/d/spk-1/timeline')).toBe('timeline');
    expect(channelOfTopic('loa/v1/a/00011/alert')).toBe('area/alert');
    expect(channelOfTopic('loa/v1/d/spk-1/nonsense')).toBe('other');
    expect(channelOfTopic('$SYS/broker/uptime')).toBe('other');
  });

  it('keeps each application\'s numbers in its own registry', async () => {
    const a = new LoaMetrics();
    const b = new LoaMetrics();
    a.mqttPublished('loa/v1/d/spk-1/timeline');
    a.mqttPublished('loa/v1/d/spk-2/timeline');
    expect(await value(a, 'loa_mqtt_messages_sent_total', { channel: 'timeline' })).toBe(2);
    expect(await value(b, 'loa_mqtt_messages_sent_total', { channel: 'timeline' })).toBeUndefined();
  });

  it('times HTTP by route template and status class, folding unknown methods', async () => {
    const m = new LoaMetrics();
    m.httpRequest('get', '/api/v1/devices/:id', 404, 0.01);
    m.httpRequest('BREW', 'unmatched', 501, 0.01);
    expect(await value(m, 'loa_http_request_duration_seconds', { method: 'GET', route: '/api/v1/devices/:id', status_class: '4xx', le: '+Inf' } as Record<string, string>)).toBe(1);
    expect(await value(m, 'loa_http_request_duration_seconds', { method: 'OTHER', route: 'unmatched', status_class: '5xx', le: '+Inf' } as Record<string, string>)).toBe(1);
  });

  it('records TTS synthesis time per engine', async () => {
    const m = new LoaMetrics();
    m.ttsSynthesised('espeak-ng', 1.5);
    expect(await value(m, 'loa_tts_synthesis_seconds', { engine: 'espeak-ng', le: '2' })).toBe(1);
    expect(await value(m, 'loa_tts_synthesis_seconds', { engine: 'espeak-ng', le: '1' })).toBe(0);
  });

  it('adds up the depth sources of one queue and forgets a withdrawn one', () => {
    const m = new LoaMetrics();
    m.queue('playback_events', () => 3);
    const withdraw = m.queue('playback_events', () => 4);
    m.queue('presence', () => 1);
    expect(m.queueDepths()).toEqual([
      { queue: 'playback_events', depth: 7 },
      { queue: 'presence', depth: 1 },
    ]);
    withdraw();
    expect(m.queueDepths()[0]).toEqual({ queue: 'playback_events', depth: 3 });
  });
});

describe('EventLoopWatch', () => {
  it('sees the event loop held by synchronous work', async () => {
    const watch = new EventLoopWatch();
    try {
      await new Promise((r) => setTimeout(r, 50));
      const end = performance.now() + 150;
      while (performance.now() < end) {
        // Holding the loop, as a runaway synchronous loop would.
      }
      await new Promise((r) => setTimeout(r, 50));
      expect(watch.recentMaxMs()).toBeGreaterThanOrEqual(100);
    } finally {
      watch.onModuleDestroy();
    }
  });
});

describe('FleetStatsReader', () => {
  it('answers two scrapes within its window from one set of queries', async () => {
    let queries = 0;
    const db = {
      options: { type: 'better-sqlite3' },
      query: async () => {
        queries++;
        return [];
      },
    } as unknown as DataSource;
    const config = { metrics: { offlineAreaLevel: 'district', token: null } } as unknown as AppConfig;
    const reader = new FleetStatsReader(db, config, new Clock());
    const first = await reader.read();
    const perScrape = queries;
    const second = await reader.read();
    expect(second).toBe(first);
    expect(queries).toBe(perScrape);
    // One query per family (the area family also reads the areas of its level).
    expect(perScrape).toBe(7);
    expect(first.failed).toBe(0);
    expect(first.devices).toEqual([
      { kind: 'speaker', online: 0, total: 0 },
      { kind: 'board', online: 0, total: 0 },
    ]);
  });
});
