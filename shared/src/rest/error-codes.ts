/**
 * Stable error codes (issue 19): every refusal the API gives carries `code` and `params` next to Nest's English
 * `message`, and the dashboard shows the code's text in Vietnamese or English. This file is zod-free apart from
 * the view schema, so the dashboard's bundle takes the tables without the validator.
 */
import { z } from 'zod';
import { COMMON_ERRORS, COMMON_WORDS } from './errors/common.js';
import { APPROVAL_REASONS, SCHEDULE_ERRORS, SCHEDULE_WORDS } from './errors/schedules.js';
import { CONTENT_ERRORS, CONTENT_WORDS } from './errors/contents.js';
import { DEVICE_ERRORS, DEVICE_WORDS } from './errors/devices.js';
import { ALERT_ERRORS, ALERT_WORDS } from './errors/alerts.js';
import { AUTH_ERRORS } from './errors/auth.js';
import { OFFICER_ERRORS } from './errors/officer.js';
import { RESULTS_ERRORS } from './errors/results.js';
import { MAP_ERRORS, MAP_WORDS } from './errors/map.js';
import { CALENDAR_ERRORS } from './errors/calendar.js';
import { ACCOUNT_ERRORS } from './errors/accounts.js';
import { NOTIFICATION_ERRORS } from './errors/notifications.js';
import { TTS_ERRORS } from './errors/tts.js';
import { FEEDBACK_ERRORS, FEEDBACK_WORDS } from './errors/feedback.js';
import { MONITORING_ERRORS } from './errors/monitoring.js';
import { OTA_ERRORS } from './errors/ota.js';
import { PRACTICE_ERRORS } from './errors/practice.js';
import { TRAINING_ERRORS } from './errors/training.js';

export interface ErrorText {
  readonly vi: string;
  readonly en: string;
}
export type ErrorLang = keyof ErrorText;
export type ErrorParams = Readonly<Record<string, string | number>>;

/** Every code the API answers with. A domain adds its table here (one spread line), never a code twice. */
export const ERROR_CODES = {
  ...COMMON_ERRORS,
  ...SCHEDULE_ERRORS,
  ...APPROVAL_REASONS,
  ...CONTENT_ERRORS,
  ...DEVICE_ERRORS,
  ...ALERT_ERRORS,
  ...AUTH_ERRORS,
  ...RESULTS_ERRORS,
  ...MAP_ERRORS,
  ...CALENDAR_ERRORS,
  ...ACCOUNT_ERRORS,
  ...NOTIFICATION_ERRORS,
  ...TTS_ERRORS,
  ...OFFICER_ERRORS,
  ...FEEDBACK_ERRORS,
  ...MONITORING_ERRORS,
  ...OTA_ERRORS,
  ...TRAINING_ERRORS,
  ...PRACTICE_ERRORS,
} as const satisfies Record<string, ErrorText>;
export type ErrorCode = keyof typeof ERROR_CODES;

/** Words a parameter's value is shown as, by `<parameter>.<value>` (roles, area levels, kinds, methods…). */
export const ERROR_WORDS: Readonly<Record<string, ErrorText>> = {
  ...COMMON_WORDS,
  ...SCHEDULE_WORDS,
  ...CONTENT_WORDS,
  ...DEVICE_WORDS,
  ...ALERT_WORDS,
  ...MAP_WORDS,
  ...FEEDBACK_WORDS,
};

export const isErrorCode = (code: unknown): code is ErrorCode => typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, code);

/** A parameter value in the reader's language (`role` + `commune_officer` → "cán bộ xã"), or the value itself. */
export const errorWord = (param: string, value: string | number, lang: ErrorLang): string => {
  const word = ERROR_WORDS[`${param}.${value}`]?.[lang];
  if (word !== undefined) return word;
  // A list of values ("province, district") is shown word by word.
  if (typeof value === 'string' && value.includes(', ')) return value.split(', ').map((v) => ERROR_WORDS[`${param}.${v}`]?.[lang] ?? v).join(', ');
  return String(value);
};

/** The text of a code in a language, parameters filled; null for a code this build does not know. */
export function formatError(code: string, params: ErrorParams | undefined, lang: ErrorLang): string | null {
  if (!isErrorCode(code)) return null;
  const template: string = ERROR_CODES[code][lang];
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (params && k in params ? errorWord(k, params[k]!, lang) : m));
}

/** The body of every non-2xx answer of the API (the public feedback routes keep their own refusal shape). */
export const errorViewSchema = z.object({
  statusCode: z.number(),
  code: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
  message: z.union([z.string(), z.array(z.string())]),
  error: z.string().optional(),
});
export type ErrorView = z.infer<typeof errorViewSchema>;

/** Why a schedule waits for an approver, coded (issue 19): `text` is the English of the code, kept for logs and curl. */
export type ApprovalReasonCode = keyof typeof APPROVAL_REASONS;
export const approvalReasonSchema = z.object({
  code: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
  text: z.string(),
});
export interface ApprovalReason {
  code: ApprovalReasonCode;
  params: ErrorParams;
  text: string;
}
