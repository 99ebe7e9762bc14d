import { Injectable } from '@nestjs/common';
import { AREA_CHANNELS, areaTopic, DEVICE_CHANNELS, deviceTopic, PROTOCOL_VERSION, type AlertMessage, type EventsAck } from '@loa/shared';
import { MessageBroker } from '../broker/message-broker.js';
import { SigningService } from '../signing/signing.service.js';
import { DeviceGateway, type CommandSend } from './device-gateway.js';

const TIMELINE = DEVICE_CHANNELS.timeline;
const TIMELINE_PATCH = DEVICE_CHANNELS['timeline/patch'];
const EVENTS_ACK = DEVICE_CHANNELS['events/ack'];
const REQ = DEVICE_CHANNELS.req;
const ALERT = AREA_CHANNELS.alert;
/** MQTT clears a retained message with an empty retained publish; it carries nothing to sign. */
const EMPTY = Buffer.alloc(0);

/** The device gateway over the MessageBroker port, every message signed by the server's key. */
@Injectable()
export class MqttDeviceGateway extends DeviceGateway {
  /** Settles once the last timeline asked for is signed and handed to the broker (see inCallOrder). */
  private handedOver: Promise<void> = Promise.resolve();

  constructor(
    private readonly broker: MessageBroker,
    private readonly signing: SigningService,
  ) {
    super();
  }

  publishTimeline(deviceId: string, timeline: string): Promise<void> {
    // One signature for both copies: the bytes are the same.
    return this.inCallOrder(this.signing.signTextOffThread(timeline), async (signed) => {
      await this.broker.publish(deviceTopic(deviceId, 'timeline'), signed, { qos: TIMELINE.qos, retain: TIMELINE.retain });
      await this.broker.publish(deviceTopic(deviceId, 'timeline/patch'), signed, { qos: TIMELINE_PATCH.qos, retain: TIMELINE_PATCH.retain });
    });
  }

  override publishTimelinePatch(deviceId: string, timeline: string, patch: string): Promise<void> {
    const both = Promise.all([this.signing.signTextOffThread(timeline), this.signing.signTextOffThread(patch)]);
    return this.inCallOrder(both, async ([whole, change]) => {
      // The retained copy first: a device that cannot apply the patch subscribes to it and must find this version.
      await this.broker.publish(deviceTopic(deviceId, 'timeline'), whole, { qos: TIMELINE.qos, retain: TIMELINE.retain });
      await this.broker.publish(deviceTopic(deviceId, 'timeline/patch'), change, { qos: TIMELINE_PATCH.qos, retain: TIMELINE_PATCH.retain });
    });
  }

  /**
   * Timelines are signed off the event loop, many at once (a province's fan-out signs 10,000–20,000), but handed to
   * the broker in the order they were asked for, as when each was signed inline: a resend of a stored version never
   * overtakes the newer version published after it on the retained topic. Each waits for its own signature and for
   * the one before it to be handed over (not for its delivery).
   */
  private inCallOrder<T>(signed: Promise<T>, send: (signed: T) => Promise<void>): Promise<void> {
    const turn = this.handedOver.then(() => signed);
    // Registered first, so it runs (and calls the broker) before the next one's turn can begin.
    const sent = turn.then(send);
    this.handedOver = turn.then(
      () => undefined,
      () => undefined,
    );
    return sent;
  }

  async ackEvents(deviceId: string, ids: readonly string[]): Promise<void> {
    const ack: EventsAck = { v: PROTOCOL_VERSION, deviceId, ids: [...ids] };
    // Off the event loop: after a province-wide change every device reports at once, one signed ack each.
    const signed = await this.signing.signTextOffThread(JSON.stringify(ack));
    await this.broker.publish(deviceTopic(deviceId, 'events/ack'), signed, { qos: EVENTS_ACK.qos, retain: EVENTS_ACK.retain });
  }

  sendCommand(s: CommandSend): Promise<void> {
    // Assembled as text so the stored command goes out exactly as stored, without a parse and re-serialise per send.
    const json = `{"v":${PROTOCOL_VERSION},"id":${JSON.stringify(s.commandId)},"deviceId":${JSON.stringify(s.deviceId)},"sentAt":${s.sentAt},"expiresAt":${s.expiresAt},"command":${s.command}}`;
    return this.broker.publish(deviceTopic(s.deviceId, 'req'), this.signing.signText(json), { qos: REQ.qos, retain: REQ.retain });
  }

  publishAlert(msg: AlertMessage): Promise<void> {
    return this.broker.publish(areaTopic(msg.areaCode, 'alert'), this.signing.sign(msg), { qos: ALERT.qos, retain: ALERT.retain });
  }

  clearAlert(areaCode: string): Promise<void> {
    return this.broker.publish(areaTopic(areaCode, 'alert'), EMPTY, { qos: ALERT.qos, retain: true });
  }
}
