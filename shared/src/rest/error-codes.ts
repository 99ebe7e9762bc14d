/**
 * Stable error codes (issue 19): every refusal the API gives carries `code` and `params` next to Nest's English
 * `message`, and the dashboard shows the code's text in Vietnamese or English. This file is zod-free apart from
 * the view schema, so the dashboard's bundle takes the tables without the validator.
 */
import { z } from 'zod';
import { COMMON_ERRORS, COMMON_WORDS } from './errors/common.js';

export interface ErrorText {
  readonly vi: string;
  readonly en: string;
}
export type ErrorLang = keyof ErrorText;
export type ErrorParams = Readonly<Record<string, string | number>>;

/** Every code the API answers with. A domain adds its table here (one spread line), never a code twice. */
export const ERROR_CODES = {
  ...COMMON_ERRORS,
} as const satisfies Record<string, ErrorText>;
export type ErrorCode = keyof typeof ERROR_CODES;

/** Words a parameter's value is shown as, by `<parameter>.<value>` (roles, area levels, kinds, methods…). */
export const ERROR_WORDS: Readonly<Record<string, ErrorText>> = {
  ...COMMON_WORDS,
};

export const isErrorCode = (code: unknown): code is ErrorCode => typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, code);

/** A parameter value in the reader's language (`role` + `commune_officer` → "cán bộ xã"), or the value itself. */
export const errorWord = (param: string, value: string | number, lang: ErrorLang): string => ERROR_WORDS[`${param}.${value}`]?.[lang] ?? String(value);

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
