/**
 * Cheap spam signals of a public submission, decided on the text alone (no external service: a commune's server may
 * be offline from the Internet). Residents write short Vietnamese prose; bots post links, padding and symbols.
 */

/** More links than this is spam: a resident rarely cites more than a couple of pages. */
export const MAX_LINKS = 3;
/** A run of one character this long ("!!!!!!!!!!…", "aaaaaaaa…") is padding, not writing. */
export const MAX_REPEAT_RUN = 20;
/** Below this share of letters (any script, Vietnamese diacritics included) among non-space characters, it is noise. */
export const MIN_LETTER_SHARE = 0.5;
/** Short texts are judged on links only: "Đường số 5, km 12+300" is legitimate and mostly not letters. */
const MIN_LENGTH_FOR_SHARE = 40;

const LINK = /\b(?:https?:\/\/|www\.)\S+/gi;
const REPEAT = new RegExp(`(.)\\1{${MAX_REPEAT_RUN - 1},}`, 'su');

export interface SpamInput {
  title: string;
  content: string;
  /** The honeypot field the page hides from people. */
  website?: string | undefined;
}

/** Why the submission looks like spam, or null. The reason is for logs; the resident sees the `spam` refusal. */
export function spamReason(input: SpamInput): string | null {
  if (input.website !== undefined && input.website.trim() !== '') return 'honeypot field filled';
  const text = `${input.title}\n${input.content}`;
  const links = text.match(LINK)?.length ?? 0;
  if (links > MAX_LINKS) return `${links} links`;
  if (REPEAT.test(text)) return 'a long run of one repeated character';
  const visible = [...text.replace(/\s+/gu, '')];
  if (visible.length >= MIN_LENGTH_FOR_SHARE) {
    const letters = visible.filter((c) => /\p{L}|\p{M}/u.test(c)).length;
    if (letters / visible.length < MIN_LETTER_SHARE) return `only ${Math.round((100 * letters) / visible.length)} % letters`;
  }
  return null;
}
