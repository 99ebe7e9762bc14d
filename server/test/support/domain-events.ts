import { EVENT_LISTENER_METADATA, EventEmitter2 } from '@nestjs/event-emitter';
import { DomainEvents, type DomainEventMap, type DomainEventName } from '../../src/domain-events/domain-events.js';
import { createLogger } from '../../src/logging/logger.js';

type Emitted = { [K in DomainEventName]: { name: K; payload: DomainEventMap[K] } }[DomainEventName];

/**
 * DomainEvents for services wired by hand: a real EventEmitter2, every emitted event recorded (`emitted`), and
 * `listen(...)` subscribing the @OnEvent methods of the given instances the way Nest's EventSubscribersLoader does
 * (each call wrapped in an async try/catch, so a failing listener never reaches the producer).
 */
export class TestDomainEvents extends DomainEvents {
  readonly emitted: Emitted[] = [];

  constructor(private readonly bus = new EventEmitter2()) {
    super(bus, createLogger('silent'));
  }

  override emit<K extends DomainEventName>(name: K, payload: DomainEventMap[K]): void {
    this.emitted.push({ name, payload } as Emitted);
    super.emit(name, payload);
  }

  override emitAsync<K extends DomainEventName>(name: K, payload: DomainEventMap[K]): Promise<void> {
    this.emitted.push({ name, payload } as Emitted);
    return super.emitAsync(name, payload);
  }

  /** The payloads emitted under `name`, in order. */
  payloads<K extends DomainEventName>(name: K): Array<DomainEventMap[K]> {
    return this.emitted.filter((e) => e.name === name).map((e) => e.payload as DomainEventMap[K]);
  }

  listen(...instances: object[]): this {
    for (const instance of instances) {
      const seen = new Set<string>();
      for (let proto = Object.getPrototypeOf(instance) as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
        for (const key of Object.getOwnPropertyNames(proto)) {
          if (key === 'constructor' || seen.has(key)) continue;
          seen.add(key);
          const method = (instance as Record<string, unknown>)[key];
          if (typeof method !== 'function') continue;
          const meta = Reflect.getMetadata(EVENT_LISTENER_METADATA, method) as Array<{ event: string }> | undefined;
          for (const { event } of meta ?? []) {
            this.bus.on(event, async (...args: unknown[]) => {
              try {
                return await (method as (...a: unknown[]) => unknown).apply(instance, args);
              } catch {
                return undefined; // Nest logs it; a test that cares asserts the missing effect
              }
            });
          }
        }
      }
    }
    return this;
  }
}
