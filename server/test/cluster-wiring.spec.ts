/**
 * On SQLite (one process by nature) the server keeps today's in-process classes: no connection of the cluster's
 * own, always the leader, the in-process lock chain, a bus to no one and a detached live events relay.
 */
import { InProcessClusterBus, ClusterBus } from '../src/cluster/cluster-bus.js';
import { InProcessNamedLocks, NamedLocks } from '../src/common/named-locks.js';
import { EventBus } from '../src/events/event-bus.js';
import { LiveEventsRelay } from '../src/events/live-events.relay.js';
import { LeaderGate, SingleInstanceLeaderGate } from '../src/jobs/leader-gate.js';
import { startTestServer, type TestServer } from './support/server.js';

describe('one server on SQLite', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer();
  });

  afterAll(() => t.close());

  it('uses the in-process classes', () => {
    expect(t.server.app.get(ClusterBus)).toBeInstanceOf(InProcessClusterBus);
    expect(t.server.app.get(NamedLocks)).toBeInstanceOf(InProcessNamedLocks);
    expect(t.server.app.get(LeaderGate)).toBeInstanceOf(SingleInstanceLeaderGate);
    expect(t.server.app.get(LeaderGate).isLeader()).toBe(true);
    expect(t.server.app.get(LiveEventsRelay).othersListening).toBe(false);
    // No dashboard here and no other instance: features skip building live events.
    expect(t.server.app.get(EventBus).listening).toBe(false);
  });
});
