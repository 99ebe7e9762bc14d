import { TestDomainEvents } from '../../test/support/domain-events.js';
import { ContentWithdrawalListener } from './content-withdrawal.listener.js';
import type { SchedulesRepository } from './schedules.repository.js';
import type { SchedulesService } from './schedules.service.js';

describe(ContentWithdrawalListener.name, () => {
  it("cancels every active schedule of an archived content, and the archive's emitAsync waits for it", async () => {
    const cancelled: string[] = [];
    const repo = { activeIdsForContent: async (id: string) => (id === 'c-1' ? ['s-1', 's-2'] : ['s-other']) } as unknown as SchedulesRepository;
    const schedules = { cancel: async (id: string) => void cancelled.push(id) } as unknown as SchedulesService;
    const events = new TestDomainEvents().listen(new ContentWithdrawalListener(repo, schedules));
    await events.emitAsync('content.archived', { contentId: 'c-1', by: 'u-1' });
    expect(cancelled).toEqual(['s-1', 's-2']);
  });

  it('ignores other content events', async () => {
    const cancelled: string[] = [];
    const repo = { activeIdsForContent: async () => ['s-1'] } as unknown as SchedulesRepository;
    const schedules = { cancel: async (id: string) => void cancelled.push(id) } as unknown as SchedulesService;
    const events = new TestDomainEvents().listen(new ContentWithdrawalListener(repo, schedules));
    await events.emitAsync('content.stateChanged', { contentId: 'c-1', state: 'archived', by: 'u-1' });
    expect(cancelled).toEqual([]);
  });
});
