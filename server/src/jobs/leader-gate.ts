import { Injectable } from '@nestjs/common';

/**
 * Whether this process is the one that runs the fleet-wide periodic work (sweeps, retention, the horizon roll).
 * Asked at every tick, so leadership may move between instances while they run.
 */
export abstract class LeaderGate {
  abstract isLeader(): boolean;
}

/**
 * One server instance: it is always the leader. Issue 15 (several instances) replaces this here, and only here,
 * with an election, e.g. a PostgreSQL advisory lock held on a dedicated connection: whoever holds it leads.
 */
@Injectable()
export class SingleInstanceLeaderGate extends LeaderGate {
  isLeader(): boolean {
    return true;
  }
}
