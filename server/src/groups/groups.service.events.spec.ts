import { TestDomainEvents } from '../../test/support/domain-events.js';
import type { Clock } from '../common/clock.js';
import { createLogger } from '../logging/logger.js';
import type { TargetResolver } from '../targeting/target-resolver.js';
import type { GroupEntity } from './group.entity.js';
import type { GroupsRepository } from './groups.repository.js';
import { GroupsService } from './groups.service.js';

const group: GroupEntity = { id: 'g-1', name: 'Markets', deviceIds: ['a', 'b'], tagRule: null, createdBy: 'u', createdAt: 0, updatedAt: 0 };

/** GroupsService over fakes: members are the static list of existing devices; `targeted` says whether a schedule aims at it. */
function setup(targeted: boolean) {
  let row = { ...group };
  const repo = {
    find: async () => ({ ...row }),
    update: async (g: GroupEntity) => void (row = { ...g }),
    isTargeted: async () => targeted,
  } as unknown as GroupsRepository;
  const targets = {
    members: async (g: Pick<GroupEntity, 'deviceIds'>) => [...g.deviceIds],
    existing: async (ids: readonly string[]) => new Set(ids),
  } as unknown as TargetResolver;
  const events = new TestDomainEvents();
  const sut = new GroupsService(repo, targets, { now: () => 5 } as unknown as Clock, createLogger('silent'), events);
  return { sut, events };
}

describe(`${GroupsService.name} announcing membership changes`, () => {
  it('emits group.changed with the devices that entered or left a targeted group', async () => {
    const { sut, events } = setup(true);
    const view = await sut.update('g-1', { deviceIds: ['b', 'c'] });
    expect(view.members).toEqual(['b', 'c']);
    expect(events.emitted).toEqual([{ name: 'group.changed', payload: { groupId: 'g-1', deviceIds: ['a', 'c'] } }]);
  });

  it('emits nothing for a rename, nor for a group no schedule targets', async () => {
    const targeted = setup(true);
    await targeted.sut.update('g-1', { name: 'Old markets' });
    expect(targeted.events.emitted).toEqual([]);
    const untargeted = setup(false);
    await untargeted.sut.update('g-1', { deviceIds: ['c'] });
    expect(untargeted.events.emitted).toEqual([]);
  });
});
