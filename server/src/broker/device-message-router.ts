import { Inject, Injectable } from '@nestjs/common';
import type { z } from 'zod';
import { allDevicesTopic, decodeMessage, DEVICE_CHANNELS, parseDeviceTopic, type DeviceChannel } from '@loa/shared';
import { Metrics } from '../common/metrics.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { MessageBroker } from './message-broker.js';

/**
 * The MQTT boundary: every device message is parsed, size-checked and schema-validated here, once, before a
 * feature handler sees a typed value. Refusals are logged and counted; nothing thrown escapes.
 */
@Injectable()
export class DeviceMessageRouter {
  constructor(
    private readonly broker: MessageBroker,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  /** One broker subscription per channel, however many features listen to it (status feeds presence and commands). */
  private readonly channels = new Map<DeviceChannel, Route>();

  async on<S extends z.ZodType>(channel: DeviceChannel, schema: S, handler: (deviceId: string, message: z.infer<S>) => Promise<void>): Promise<void> {
    const route = await this.route(channel);
    // Decoded once for all: a second schema for the same channel would be a contract written twice.
    if (route.schema !== null && route.schema !== schema) throw new Error(`channel ${channel} is already routed with another schema`);
    route.schema = schema;
    route.handlers.push(handler as Handler);
  }

  /** Called with the sender of every message on the channel, valid or not (e.g. as proof the device is alive). */
  async onSender(channel: DeviceChannel, handler: (deviceId: string) => Promise<void>): Promise<void> {
    (await this.route(channel)).senders.push(handler);
  }

  private async route(channel: DeviceChannel): Promise<Route> {
    const existing = this.channels.get(channel);
    if (existing) return existing;
    const route: Route = { schema: null, handlers: [], senders: [] };
    this.channels.set(channel, route);
    await this.broker.subscribe(allDevicesTopic(channel), async (topic, payload) => {
      const parsed = parseDeviceTopic(topic);
      if (!parsed || parsed.channel !== channel) {
        this.refuse(topic, 'unexpected topic');
        return;
      }
      const run = async (what: string, fn: () => Promise<void>) => {
        try {
          await fn();
        } catch (err) {
          this.metrics.inc('mqtt_handler_failed');
          this.logger.error({ ctx: 'mqtt', topic, what, err: (err as Error).message }, 'device message handler failed');
        }
      };
      const senders = route.senders.map((h) => run('sender', () => h(parsed.deviceId)));
      if (route.schema === null) {
        await Promise.all(senders);
        return;
      }
      const decoded = decodeMessage(route.schema, payload);
      if (!decoded.ok) {
        this.refuse(topic, decoded.error);
        await Promise.all(senders);
        return;
      }
      this.metrics.inc(`mqtt_${channel.replace('/', '_')}_received`);
      await Promise.all([...senders, ...route.handlers.map((h) => run('handler', () => h(parsed.deviceId, decoded.value)))]);
      // Shared: with several server instances on one broker, each device message goes to exactly one of them.
      // Retained channels (status) are also read as the broker holds them, for what came while no instance listened.
    }, { shared: true, retained: DEVICE_CHANNELS[channel].retain && DEVICE_CHANNELS[channel].direction === 'up' });
    return route;
  }

  private refuse(topic: string, reason: string): void {
    this.metrics.inc('mqtt_message_refused');
    this.logger.warn({ ctx: 'mqtt', topic, reason }, 'device message refused');
  }
}

type Handler = (deviceId: string, message: unknown) => Promise<void>;

interface Route {
  schema: z.ZodType | null;
  handlers: Handler[];
  senders: Array<(deviceId: string) => Promise<void>>;
}
