import mqtt from 'mqtt';
import { startMosquitto, type RunningMosquitto } from './support/mosquitto.js';

describe('the test Mosquitto (Debian package, generated configuration)', () => {
  let broker: RunningMosquitto;
  afterEach(() => broker?.stop());

  it('starts with dynamic security on an ephemeral port and refuses an unknown login', async () => {
    broker = await startMosquitto({ dynsec: { username: 'loa-admin', password: 'admin-secret-123' } });
    expect(broker.port).toBeGreaterThan(0);
    const admin = await mqtt.connectAsync(broker.url, { username: 'loa-admin', password: 'admin-secret-123', protocolVersion: 5, reconnectPeriod: 0 });
    await admin.endAsync();
    await expect(mqtt.connectAsync(broker.url, { username: 'nobody', password: 'x', protocolVersion: 5, reconnectPeriod: 0 })).rejects.toThrow(/Bad User Name or Password|Not authorized/i);
  });
});
