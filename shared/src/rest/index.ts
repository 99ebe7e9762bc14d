/**
 * `@loa/shared/rest`: the REST contract. Every request (body, query, params) the server parses and every view it
 * answers with, as zod schemas with their inferred types; the server's controllers parse with them (and OpenAPI
 * is derived from them), the dashboard imports the types. Constants come from zod-free modules, so a browser
 * bundle that imports only types and constants from here carries no zod (shared/package.json marks the package
 * free of side effects for that).
 */
export * from '../constants.js';
export * from '../report-labels.js';
export { DEVICE_ENDPOINTS_PATH, ENROLL_PATH, SIGNING_KEY_PATH, TIME_PATH, enrollmentStatusPath, mediaPath } from '../version.js';
export type { DeviceEndpoints, EnrollRequest, EnrollResponse, EnrollmentStatus, SigningKeyResponse } from '../provisioning.js';
export type { DeliveryState, DeviceKind, Priority } from '../enums.js';
export type { PreemptPolicy, TextStyle } from '../messages.js';
export * from './common.js';
export * from './error-codes.js';
export * from './alarms.js';
export * from './alerts.js';
export * from './approvals.js';
export * from './areas.js';
export * from './audit.js';
export * from './auth.js';
export * from './board-profiles.js';
export * from './commands.js';
export * from './contents.js';
export * from './deliveries.js';
export * from './fanouts.js';
export * from './devices.js';
export * from './groups.js';
export * from './media.js';
export * from './overview.js';
export * from './provisioning.js';
export * from './schedules.js';
export * from './security-events.js';
export * from './timelines.js';
export * from './tts.js';
export * from './users.js';
export * from './reports.js';
export * from './coverage.js';
export * from './source-system.js';
export * from './source-inbound.js';
export * from './calendar.js';
export * from './feedback.js';
export * from './live.js';
export * from './cap.js';
export * from './notifications.js';
export * from './announcements.js';
export * from './capabilities.js';
export * from './map.js';
export * from './health.js';
export * from './ota.js';
export * from './virtual-devices.js';
export * from './practice.js';
export * from './training.js';
export * from '../training/lessons.js';
