import { TestDomainEvents } from '../../test/support/domain-events.js';
import { CredentialsCacheListener } from './credentials-cache.listener.js';
import type { DeviceCredentialsService } from './device-credentials.service.js';

describe(CredentialsCacheListener.name, () => {
  const setup = () => {
    const forgotten: string[] = [];
    const prefetched: string[] = [];
    const credentials = {
      forget: (id: string) => forgotten.push(id),
      prefetch: (ids: readonly string[]) => prefetched.push(...ids.map((id) => `${id}@${forgotten.includes(id) ? 'after' : 'before'}-forget`)),
    } as unknown as DeviceCredentialsService;
    const events = new TestDomainEvents().listen(new CredentialsCacheListener(credentials));
    return { events, forgotten, prefetched };
  };

  it('drops the cached entries of registered, moved and re-parented devices before emit returns', () => {
    const { events, forgotten, prefetched } = setup();
    events.emit('device.registered', { deviceIds: ['a', 'b'] });
    // New devices are read ahead in bulk (they usually log in together soon), once their stale entries are gone.
    expect(prefetched).toEqual(['a@after-forget', 'b@after-forget']);
    events.emit('device.moved', { deviceId: 'c', fromArea: '01', toArea: '02' });
    events.emit('device.removed', { deviceId: 'd' });
    // Synchronously: the producer publishes the new timeline right after emit, and the broker must not use the old areas.
    expect(forgotten).toEqual(['a', 'b', 'c', 'd']);
  });

  it('is awaited by an area import (emitAsync) and forgets every device under the moved areas', async () => {
    const { events, forgotten } = setup();
    await events.emitAsync('areas.moved', { areaCodes: ['0101'], deviceIds: ['x', 'y'] });
    expect(forgotten).toEqual(['x', 'y']);
  });
});
