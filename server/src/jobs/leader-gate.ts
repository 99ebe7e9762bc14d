import { Injectable } from '@nestjs/common';

export type LeadershipListener = (leader: boolean) => void;

/**
 * Whether this process is the one that runs the fleet-wide periodic work (sweeps, retention, the horizon roll).
 * Asked at every tick, so leadership may move between instances while they run.
 */
export abstract class LeaderGate {
  abstract isLeader(): boolean;

  /**
   * Told each time leadership is gained (true) or lost (false); returns the unsubscribe function. A gate whose
   * answer never changes never calls it.
   */
  onChange(_listener: LeadershipListener): () => void {
    return () => undefined;
  }
}

/**
 * One server instance (SQLite): it is always the leader. With several instances on PostgreSQL the ClusterModule
 * provides PostgresLeaderGate instead (an advisory lock held on a dedicated connection: whoever holds it leads).
 */
@Injectable()
export class SingleInstanceLeaderGate extends LeaderGate {
  isLeader(): boolean {
    return true;
  }
}
