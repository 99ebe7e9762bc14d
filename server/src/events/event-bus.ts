import { Injectable } from '@nestjs/common';

/**
 * A server event pushed to operators' browsers over /api/v1/events. `type` names it ("media.job", …). An event
 * carrying `areaCode` concerns that area only: it reaches the clients whose area scope contains it; one without
 * goes to every client.
 */
export interface ServerEvent {
  type: string;
  areaCode?: string | undefined;
  [key: string]: unknown;
}

export type EventListener = (event: ServerEvent) => void;

/** In-process publish/subscribe: features publish, the WebSocket gateway (and tests) subscribe. */
@Injectable()
export class EventBus {
  private readonly listeners = new Set<EventListener>();

  publish(event: ServerEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A faulty listener must not stop the others, nor the publisher.
      }
    }
  }

  /** Whether anyone listens: publishers skip the work of building events (area look-ups) when no one would get them. */
  get listening(): boolean {
    return this.listeners.size > 0;
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
