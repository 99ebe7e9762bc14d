import { TestDomainEvents } from '../../test/support/domain-events.js';
import { DeviceChangesListener } from './device-changes.listener.js';
import type { Materializer } from './materializer.js';

/** The listener over a fake materializer that records each reconciliation ([devices, always recompiled]). */
function setup() {
  const reconciled: Array<[string[], string[]]> = [];
  const materializer = {
    reconcileDevices: async (ids: readonly string[], always: readonly string[] = []) => {
      await new Promise((resolve) => setImmediate(resolve)); // finishes after a later turn: emitAsync must wait
      reconciled.push([[...ids], [...always]]);
      return [];
    },
  } as unknown as Materializer;
  const events = new TestDomainEvents().listen(new DeviceChangesListener(materializer));
  return { events, reconciled };
}

describe(DeviceChangesListener.name, () => {
  it('re-plans registered devices and always gives them a timeline, before the emitAsync resolves', async () => {
    const { events, reconciled } = setup();
    await events.emitAsync('device.registered', { deviceIds: ['a', 'b'] });
    expect(reconciled).toEqual([[['a', 'b'], ['a', 'b']]]);
  });

  it('re-evaluates targets on a move or new tags, recompiles on a move or new profile, and ignores a rename', async () => {
    const { events, reconciled } = setup();
    await events.emitAsync('device.updated', { deviceId: 'd', moved: false, retagged: false, reprofiled: false });
    await events.emitAsync('device.updated', { deviceId: 'd', moved: true, retagged: false, reprofiled: false });
    await events.emitAsync('device.updated', { deviceId: 'd', moved: false, retagged: true, reprofiled: false });
    await events.emitAsync('device.updated', { deviceId: 'd', moved: false, retagged: false, reprofiled: true });
    expect(reconciled).toEqual([
      [['d'], ['d']],
      [['d'], []],
      [[], ['d']],
    ]);
  });

  it("re-plans the devices that entered or left a changed group", async () => {
    const { events, reconciled } = setup();
    await events.emitAsync('group.changed', { groupId: 'g', deviceIds: ['in', 'out'] });
    expect(reconciled).toEqual([[['in', 'out'], []]]);
  });
});
