import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { capDateTime } from '../../src/cap/cap-out.js';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'cap');

/** A CAP sample from test/fixtures/cap with its {{PLACEHOLDERS}} filled in. */
export function capSample(name: string, vars: Record<string, string> = {}): string {
  return readFileSync(path.join(DIR, name), 'utf8').replace(/\{\{(\w+)\}\}/g, (_m, k: string) => vars[k] ?? (k === 'STATUS' ? 'Actual' : `{{${k}}}`));
}

export const capTime = (ms: number): string => capDateTime(ms);

/** Same message under another identifier (so one server can take it again as a new message). */
export const withIdentifier = (xml: string, id: string): string => xml.replace(/<identifier>[^<]*<\/identifier>/, `<identifier>${id}</identifier>`);
