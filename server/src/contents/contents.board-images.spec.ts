import { TestDomainEvents } from '../../test/support/domain-events.js';
import type { BoardProfileEntity } from '../board-profiles/board-profile.entity.js';
import type { BoardProfilesService, ProfileListener } from '../board-profiles/board-profiles.service.js';
import type { Clock } from '../common/clock.js';
import type { ContentImages } from './content-images.js';
import type { ContentEntity } from './content.entity.js';
import type { ContentsRepository } from './contents.repository.js';
import { ContentsService } from './contents.service.js';

const profile = { id: 'p-1', name: 'Portrait', width: 1080, height: 1920, orientation: 'portrait', createdAt: 0, updatedAt: null } as BoardProfileEntity;

/** ContentsService over fakes: two active images; the profile listener it registers is captured to be called. */
function setup() {
  const log: string[] = [];
  let onResolution: ProfileListener | undefined;
  const profiles = { onResolution: (l: ProfileListener) => void (onResolution = l) } as unknown as BoardProfilesService;
  const repo = { activeImages: async () => [{ id: 'c-1' }, { id: 'c-2' }] as ContentEntity[] } as unknown as ContentsRepository;
  const images = { prepareAll: async (c: ContentEntity, ps: BoardProfileEntity[]) => void log.push(`prepared ${c.id} for ${ps.map((p) => p.id).join()}`) } as unknown as ContentImages;
  const events = new TestDomainEvents();
  events.emitAsync = async (name, payload) => {
    log.push(`${name} ${JSON.stringify(payload)}`);
  };
  const sut = new ContentsService(repo, images, profiles, { now: () => 0 } as unknown as Clock, events);
  sut.onModuleInit();
  return { log, resolve: (devices: string[]) => onResolution!(profile, devices) };
}

describe(`${ContentsService.name} and board profiles`, () => {
  it("prepares every active image for a resized profile, then announces its boards (awaited)", async () => {
    const { log, resolve } = setup();
    await resolve(['b-1', 'b-2']);
    expect(log).toEqual(['prepared c-1 for p-1', 'prepared c-2 for p-1', 'content.boardImagesReady {"profileId":"p-1","deviceIds":["b-1","b-2"]}']);
  });

  it('announces nothing for a profile no board uses yet', async () => {
    const { log, resolve } = setup();
    await resolve([]);
    expect(log).toEqual(['prepared c-1 for p-1', 'prepared c-2 for p-1']);
  });
});
