import { jest } from '@jest/globals';
import { TestDomainEvents } from '../../test/support/domain-events.js';
import { TimelinesService } from './timelines.service.js';

/** Dispatch's reactions, with its compile and resync paths recorded instead of run (they have their own tests). */
function setup() {
  const sut = new TimelinesService(null as never, null as never, null as never, null as never, null as never, null as never, null as never, null as never);
  const recompiled: string[][] = [];
  const resynced: Array<[string, number | undefined]> = [];
  jest.spyOn(sut, 'recompile').mockImplementation(async (ids) => {
    await new Promise((resolve) => setImmediate(resolve)); // finishes after a later turn: emitAsync must wait
    recompiled.push([...ids]);
    return new Map();
  });
  jest.spyOn(sut, 'resyncIfBehind').mockImplementation(async (id, held) => {
    await new Promise((resolve) => setImmediate(resolve));
    resynced.push([id, held]);
  });
  const events = new TestDomainEvents().listen(sut);
  return { events, recompiled, resynced };
}

describe(`${TimelinesService.name} listening`, () => {
  it("recompiles the boards of a profile whose images are ready, before the producer's emitAsync resolves", async () => {
    const { events, recompiled } = setup();
    await events.emitAsync('content.boardImagesReady', { profileId: 'p-1', deviceIds: ['b-1', 'b-2'] });
    await events.emitAsync('content.boardImagesReady', { profileId: 'p-2', deviceIds: [] });
    expect(recompiled).toEqual([['b-1', 'b-2']]);
  });

  it('checks an online device against the timeline version it holds', async () => {
    const { events, resynced } = setup();
    await events.emitAsync('device.online', { deviceId: 'spk-1', timelineVersion: 4 });
    await events.emitAsync('device.online', { deviceId: 'spk-2', timelineVersion: undefined });
    expect(resynced).toEqual([['spk-1', 4], ['spk-2', undefined]]);
  });
});
