import { Injectable } from '@nestjs/common';

/**
 * What travels between instances: `cache`, invalidations of in-memory caches (cache-invalidation.ts); `live`, the
 * dashboards' live events and who listens to them (events/live-events.relay.ts).
 */
export type ClusterTopic = 'cache' | 'live';

/** A message from another instance. Its payload is input from outside this process: validate it. */
export type ClusterHandler = (payload: unknown) => void;

/**
 * Messages between the server instances sharing one database. Delivery is best effort, in each sender's order (and
 * rarely twice: a publish retried after its connection failed between commit and answer): a receiver that may have
 * missed messages (its connection dropped, a sender had to drop some) is told through `onGap`, and caches then
 * forget everything they hold rather than risk serving stale data.
 */
export abstract class ClusterBus {
  /** False when this is the only instance there can be (SQLite): publishers may skip building messages. */
  abstract readonly clustered: boolean;

  /** Sends to every other instance, never back to this one. Never throws; JSON-serialisable payloads only. */
  abstract publish(topic: ClusterTopic, payload: unknown): void;

  /** Returns the unsubscribe function. */
  abstract subscribe(topic: ClusterTopic, handler: ClusterHandler): () => void;

  /** Told when messages from other instances may have been lost; returns the unsubscribe function. */
  abstract onGap(handler: () => void): () => void;
}

/** One process (SQLite): there is no one to tell, and nothing ever arrives. */
@Injectable()
export class InProcessClusterBus extends ClusterBus {
  readonly clustered = false;

  publish(): void {
    // No other instance exists.
  }

  subscribe(): () => void {
    return () => undefined;
  }

  onGap(): () => void {
    return () => undefined;
  }
}
