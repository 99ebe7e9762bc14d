/**
 * The contract's plain constants, free of zod: the dashboard bundle imports them at run time, and a module here
 * that built schemas would drag zod into the browser bundle.
 */
import type { PreemptPolicy } from './messages.js';
import type { Priority } from './enums.js';

export const DEVICE_KINDS = ['speaker', 'board'] as const;

/** Circular 39/2020/TT-BTTTT ordering: a later entry preempts an earlier one. */
export const PRIORITIES = ['normal', 'priority', 'emergency'] as const;

/**
 * Proof-of-play states of one occurrence on one device. `queued` is set by the server when the slot is
 * compiled into the device's timeline; the rest are driven by what the agent reports.
 */
export const DELIVERY_STATES = ['queued', 'delivered', 'started', 'finished', 'failed', 'preempted', 'skipped', 'expired'] as const;

/**
 * What a slot does once a higher priority has interrupted it, when its schedule says nothing: an emergency is
 * news of the moment and is dropped, anything else resumes where it was cut. The server fills it into timelines and
 * the agent applies it to slots that carry none, so both must read it from here.
 */
export const defaultOnPreempt = (priority: Priority): PreemptPolicy => (priority === 'emergency' ? 'skip' : 'resume');

/**
 * CONNACK return codes that refuse a device's credentials: MQTT 3.1.1 4 (bad user name or password) and 5 (not
 * authorized), and their MQTT 5 reason codes 134/135. The broker answers with the 3.1.1 codes; the agent treats all
 * four as "retrying soon will not help".
 */
export const MQTT_BAD_CREDENTIALS = 4;
export const MQTT_NOT_AUTHORIZED = 5;
export const MQTT_AUTH_REFUSED_CODES: ReadonlySet<number> = new Set([MQTT_BAD_CREDENTIALS, MQTT_NOT_AUTHORIZED, 134, 135]);
