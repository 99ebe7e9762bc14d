import { areaTopic, deviceTopic, type AreaChannel, type DeviceChannel } from '@loa/shared';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { errorMessage } from '../fsutil.js';
import type { MessageGuard } from './guard.js';

type Handler<T> = (message: T) => void;
type AreaHandler<T> = (message: T, areaCode: string) => void;

interface Route<H> {
  schema: z.ZodType;
  handle: H;
}

export interface MessageRouterOptions {
  deviceId: string;
  /** Opens the signed envelope against the pinned key and the shared schema; reports what it refuses. */
  guard: Pick<MessageGuard, 'open'>;
  logger: Logger;
}

/**
 * The agent's single door for downstream messages: a topic maps to one handler, and a handler only ever sees a
 * message that the pinned key signed and the shared zod schema accepts. Refusals are reported by the guard; nothing
 * here throws back into the MQTT client.
 */
export class MessageRouter {
  private readonly device = new Map<DeviceChannel, Route<Handler<unknown>>>();
  private readonly area = new Map<AreaChannel, Route<AreaHandler<unknown>>>();

  constructor(private readonly opts: MessageRouterOptions) {}

  /** Registers the handler of one of the device's own channels; returns its removal. */
  onDevice<S extends z.ZodType>(channel: DeviceChannel, schema: S, handle: Handler<z.infer<S>>): () => void {
    this.device.set(channel, { schema, handle: handle as Handler<unknown> });
    return () => this.device.delete(channel);
  }

  /** Registers the handler of an area channel (alerts of the areas the device belongs to); returns its removal. */
  onArea<S extends z.ZodType>(channel: AreaChannel, schema: S, handle: AreaHandler<z.infer<S>>): () => void {
    this.area.set(channel, { schema, handle: handle as AreaHandler<unknown> });
    return () => this.area.delete(channel);
  }

  routeDevice(channel: DeviceChannel, payload: Buffer): void {
    const route = this.device.get(channel);
    if (!route) {
      this.opts.logger.warn({ channel }, 'ignoring message on an unhandled channel');
      return;
    }
    const message = this.opts.guard.open(route.schema, deviceTopic(this.opts.deviceId, channel), payload);
    if (message === null) return;
    this.dispatch(channel, () => route.handle(message));
  }

  routeArea(areaCode: string, channel: AreaChannel, payload: Buffer): void {
    // The server leaves an empty retained payload when an alert expires; the alert's own expiry already ended it.
    if (payload.length === 0) return;
    const route = this.area.get(channel);
    if (!route) {
      this.opts.logger.warn({ areaCode, channel }, 'ignoring message on an unhandled area channel');
      return;
    }
    const message = this.opts.guard.open(route.schema, areaTopic(areaCode, channel), payload);
    if (message === null) return;
    this.dispatch(channel, () => route.handle(message, areaCode));
  }

  private dispatch(channel: string, handle: () => void): void {
    try {
      handle();
    } catch (err) {
      this.opts.logger.error({ channel, err: errorMessage(err) }, 'message handler failed; message ignored');
    }
  }
}
