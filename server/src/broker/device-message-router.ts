import { Inject, Injectable } from '@nestjs/common';
import type { z } from 'zod';
import { allDevicesTopic, decodeMessage, parseDeviceTopic, type DeviceChannel } from '@loa/shared';
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

  on<S extends z.ZodType>(channel: DeviceChannel, schema: S, handler: (deviceId: string, message: z.infer<S>) => Promise<void>): Promise<void> {
    return this.broker.subscribe(allDevicesTopic(channel), async (topic, payload) => {
      const parsed = parseDeviceTopic(topic);
      if (!parsed || parsed.channel !== channel) {
        this.refuse(topic, 'unexpected topic');
        return;
      }
      const decoded = decodeMessage(schema, payload);
      if (!decoded.ok) {
        this.refuse(topic, decoded.error);
        return;
      }
      this.metrics.inc(`mqtt_${channel.replace('/', '_')}_received`);
      try {
        await handler(parsed.deviceId, decoded.value);
      } catch (err) {
        this.metrics.inc('mqtt_handler_failed');
        this.logger.error({ ctx: 'mqtt', topic, err: (err as Error).message }, 'device message handler failed');
      }
    });
  }

  private refuse(topic: string, reason: string): void {
    this.metrics.inc('mqtt_message_refused');
    this.logger.warn({ ctx: 'mqtt', topic, reason }, 'device message refused');
  }
}
