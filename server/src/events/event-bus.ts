import { Injectable } from '@nestjs/common';

/**
 * A server event pushed to operators' browsers over /api/v1/events. `type` names it ("media.job", …). An event
 * carrying `areaCode` concerns that area only: it reaches the clients whose area scope contains it (and, when it is
 * `covering`, those whose own area lies inside it); one without goes to every client.
 */
export interface ServerEvent {
  type: string;
  areaCode?: string | undefined;
  /** Issue 18: the event concerns `areaCode`'s whole subtree (an alert): clients whose area lies inside it get it too. */
  covering?: boolean | undefined;
  /** Issue 19: the event is one user's own (a notification): it reaches only that user's clients. */
  forUser?: string | undefined;
  [key: string]: unknown;
}

export type EventListener = (event: ServerEvent) => void;

/** Where this instance's events also go: the other instances' dashboards (LiveEventsRelay, when clustered). */
export interface EventRelay {
  /** An event produced by this instance. */
  forward(event: ServerEvent): void;
  /** Whether a dashboard connected to another instance listens: this instance must then build its events too. */
  readonly othersListening: boolean;
  /** This instance's listener count changed (to 0 when the last one left). */
  listenersChanged(count: number): void;
}

/**
 * In-process publish/subscribe: features publish, the WebSocket gateway (and tests) subscribe. With several instances,
 * a relay also carries what is published here to the others, and hands what they publish to `deliverRemote`.
 */
@Injectable()
export class EventBus {
  private readonly listeners = new Set<EventListener>();
  private relay: EventRelay | null = null;

  publish(event: ServerEvent): void {
    this.deliver(event);
    this.relay?.forward(event);
  }

  /** An event another instance produced: to this instance's listeners only, never relayed again. */
  deliverRemote(event: ServerEvent): void {
    this.deliver(event);
  }

  /**
   * Whether anyone listens, here or on another instance: publishers skip the work of building events (area
   * look-ups) when no one would get them.
   */
  get listening(): boolean {
    return this.listeners.size > 0 || (this.relay?.othersListening ?? false);
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    this.relay?.listenersChanged(this.listeners.size);
    return () => {
      if (this.listeners.delete(listener)) this.relay?.listenersChanged(this.listeners.size);
    };
  }

  /** Connects the relay to the other instances (once, at start-up). */
  attach(relay: EventRelay): void {
    this.relay = relay;
    if (this.listeners.size > 0) relay.listenersChanged(this.listeners.size);
  }

  private deliver(event: ServerEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A faulty listener must not stop the others, nor the publisher.
      }
    }
  }
}
