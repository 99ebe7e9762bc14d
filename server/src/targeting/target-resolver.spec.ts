import type { DeviceKind } from '@loa/shared';
import type { GroupEntity, TagRule } from '../groups/group.entity.js';
import { TargetResolver } from './target-resolver.js';
import type { TargetDevice, TargetsRepository } from './targets.repository.js';
import { tagRuleMatches } from './targeting.js';

interface FakeDevice extends TargetDevice {
  path: string;
  tags: string[];
}

const devices: FakeDevice[] = [
  { id: 'spk-a1', kind: 'speaker', path: '/01/00004/', tags: ['market'] },
  { id: 'spk-a2', kind: 'speaker', path: '/01/00004/', tags: [] },
  { id: 'brd-a1', kind: 'board', path: '/01/00004/', tags: ['market'] },
  { id: 'spk-b1', kind: 'speaker', path: '/01/00005/', tags: ['school', 'market'] },
  { id: 'spk-c1', kind: 'speaker', path: '/02/', tags: ['school'] },
];
const areas = new Map([
  ['01', '/01/'],
  ['00004', '/01/00004/'],
  ['00005', '/01/00005/'],
  ['02', '/02/'],
]);
const groups = new Map<string, GroupEntity>([
  ['g-list', { id: 'g-list', deviceIds: ['spk-c1', 'gone'], tagRule: null } as unknown as GroupEntity],
  ['g-tags', { id: 'g-tags', deviceIds: [], tagRule: { all: ['market'] } } as unknown as GroupEntity],
]);

/** The repository's contract over an in-memory fleet. */
const repo = {
  areaPaths: async (codes: readonly string[]) => new Map(codes.filter((c) => areas.has(c)).map((c) => [c, areas.get(c)!])),
  devicesByIds: async (ids: readonly string[]) => devices.filter((d) => ids.includes(d.id)),
  devicesInSubtrees: async (paths: readonly string[]) => devices.filter((d) => paths.some((p) => d.path.startsWith(p))),
  devicesByTagRule: async (rule: TagRule, kind: DeviceKind | null) => devices.filter((d) => (!kind || d.kind === kind) && tagRuleMatches(rule, d.tags)),
  groups: async (ids?: readonly string[]) => new Map([...groups].filter(([id]) => ids === undefined || ids.includes(id))),
} as unknown as TargetsRepository;

describe(TargetResolver.name, () => {
  const sut = new TargetResolver(repo);

  it('unions area subtrees, groups (list and tag rule) and listed devices, of one kind, sorted', async () => {
    expect(await sut.resolve({ areas: ['00004'], groups: ['g-list', 'g-tags'], devices: [] }, 'speaker', true)).toEqual(['spk-a1', 'spk-a2', 'spk-b1', 'spk-c1']);
    expect(await sut.resolve({ areas: ['01'], groups: [], devices: [] }, 'board', true)).toEqual(['brd-a1']);
  });

  it('refuses unknown areas, devices, groups and a listed device of the wrong kind when strict', async () => {
    await expect(sut.resolve({ areas: ['99'], groups: [], devices: [] }, 'speaker', true)).rejects.toThrow('unknown area code(s): 99');
    await expect(sut.resolve({ areas: [], groups: [], devices: ['ghost'] }, 'speaker', true)).rejects.toThrow('unknown device(s): ghost');
    await expect(sut.resolve({ areas: [], groups: ['nope'], devices: [] }, 'speaker', true)).rejects.toThrow('unknown group(s): nope');
    await expect(sut.resolve({ areas: [], groups: [], devices: ['brd-a1'] }, 'speaker', true)).rejects.toThrow('cannot play this content (needs a speaker)');
  });

  it('skips what no longer exists when re-planning stored targets', async () => {
    expect(await sut.resolve({ areas: ['99', '02'], groups: ['nope'], devices: ['ghost', 'brd-a1'] }, 'speaker', false)).toEqual(['spk-c1']);
  });

  it('resolves a command target with the commands wording, keeping only devices of the kind', async () => {
    expect((await sut.resolveOne({ groupId: 'g-tags' }, 'speaker')).map((d) => d.id)).toEqual(['spk-a1', 'spk-b1']);
    expect((await sut.resolveOne({ areaCode: '00004' }, null)).map((d) => d.id)).toEqual(['brd-a1', 'spk-a1', 'spk-a2']);
    await expect(sut.resolveOne({ deviceId: 'ghost' }, null)).rejects.toThrow('unknown device ghost');
    await expect(sut.resolveOne({ deviceId: 'brd-a1' }, 'speaker')).rejects.toThrow('device brd-a1 cannot play this content (needs a speaker)');
    await expect(sut.resolveOne({ groupId: 'nope' }, null)).rejects.toThrow('unknown group nope');
    await expect(sut.resolveOne({ areaCode: '99' }, null)).rejects.toThrow('unknown area code 99');
    await expect(sut.resolveOne({ areaCode: '00005' }, 'board')).rejects.toThrow('the target has no board to play this content');
  });

  it("gives a group's current members (existing listed devices ∪ tag matches), or null for no such group", async () => {
    expect(await sut.groupMembers('g-list')).toEqual(['spk-c1']);
    expect(await sut.groupMembers('g-tags')).toEqual(['brd-a1', 'spk-a1', 'spk-b1']);
    expect(await sut.groupMembers('nope')).toBeNull();
  });
});
