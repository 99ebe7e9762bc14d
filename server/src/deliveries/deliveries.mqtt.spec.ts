import type { PlaybackEvent } from '@loa/shared';
import { TestDomainEvents } from '../../test/support/domain-events.js';
import type { DeviceMessageRouter } from '../broker/device-message-router.js';
import { DeliveriesMqttHandler } from './deliveries.mqtt.js';
import type { EventIngestService } from './event-ingest.service.js';

describe(DeliveriesMqttHandler.name, () => {
  it('announces a device playback reports (playback.reported) once they are committed, and calls no other feature', async () => {
    let handle!: (deviceId: string, batch: { events: PlaybackEvent[] }) => Promise<void>;
    const router = { on: async (_channel: string, _schema: unknown, h: typeof handle) => void (handle = h) } as unknown as DeviceMessageRouter;
    const events = new TestDomainEvents();
    const order: string[] = [];
    const ingest = {
      receive: async (deviceId: string) => {
        order.push(`committed ${deviceId}; emitted ${events.emitted.length}`);
      },
    } as unknown as EventIngestService;
    await new DeliveriesMqttHandler(router, ingest, events).onApplicationBootstrap();
    const reported: PlaybackEvent[] = [{ id: 'e1', occurrenceId: 'o1', type: 'failed', at: 5 }];
    await handle('spk-1', { events: reported });
    expect(order).toEqual(['committed spk-1; emitted 0']);
    expect(events.emitted).toEqual([{ name: 'playback.reported', payload: { deviceId: 'spk-1', events: reported } }]);
  });
});
