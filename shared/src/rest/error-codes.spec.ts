import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES, ERROR_WORDS, errorWord, formatError, isErrorCode, type ErrorText } from './error-codes.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const serverSrc = path.resolve(here, '../../../server/src');
const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();

/** Every `errors/<domain>.ts` table, by file and export, so a code defined twice (the later spread wins) is caught. */
async function tables(): Promise<{ where: string; kind: 'codes' | 'words'; table: Record<string, ErrorText> }[]> {
  const dir = path.join(here, 'errors');
  const out: { where: string; kind: 'codes' | 'words'; table: Record<string, ErrorText> }[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))) {
    const mod = (await import(path.join(dir, file))) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) {
      if (!value || typeof value !== 'object') continue;
      out.push({ where: `${file}:${name}`, kind: name.endsWith('_WORDS') ? 'words' : 'codes', table: value as Record<string, ErrorText> });
    }
  }
  return out;
}

describe('error codes (issue 19)', () => {
  it('every code has a Vietnamese and an English text naming the same {placeholders}', () => {
    const bad = Object.entries(ERROR_CODES as Record<string, ErrorText>).filter(
      ([, t]) => !t.vi.trim() || !t.en.trim() || placeholders(t.vi).join() !== placeholders(t.en).join() || t.vi === t.en,
    );
    expect(bad.map(([code]) => code)).toEqual([]);
    expect(Object.keys(ERROR_CODES).length).toBeGreaterThan(150);
  });

  it('every word has both languages', () => {
    expect(Object.entries(ERROR_WORDS).filter(([, w]) => !w.vi.trim() || !w.en.trim()).map(([k]) => k)).toEqual([]);
  });

  it('no code or word is defined in two tables, and every table is spread into ERROR_CODES or ERROR_WORDS', async () => {
    const seen = new Map<string, string>();
    const twice: string[] = [];
    for (const { where, kind, table } of await tables()) {
      for (const key of Object.keys(table)) {
        const k = `${kind}:${key}`;
        if (seen.has(k)) twice.push(`${key} in ${seen.get(k)} and ${where}`);
        else seen.set(k, where);
        const registered = kind === 'words' ? ERROR_WORDS[key] : (ERROR_CODES as Record<string, ErrorText>)[key];
        if (registered !== table[key]) twice.push(`${key} of ${where} is not what the registry holds`);
      }
    }
    expect(twice).toEqual([]);
  });

  it('formatError fills parameters, translating values that have a word, lists word by word', () => {
    expect(formatError('role.forbidden', { role: 'commune_officer' }, 'vi')).toBe('Vai trò cán bộ xã không được làm việc này.');
    expect(formatError('role.forbidden', { role: 'commune_officer' }, 'en')).toBe('The role commune officer may not do this.');
    expect(formatError('area.not-found', { id: 42 }, 'vi')).toBe('Không tìm thấy địa bàn 42.');
    expect(formatError('approval.reason.area-level', { level: 'province, district', rule: 'district' }, 'vi')).toBe(
      'nhắm tới địa bàn cấp tỉnh, huyện (quy tắc: cấp huyện trở lên)',
    );
    expect(formatError('approval.reason.area-level', { level: 'province', rule: 'district' }, 'en')).toBe('targets an area of level province (rule: district or wider)');
    expect(formatError('content.bad-step', { id: 'c1', state: 'submitted', action: 'archive' }, 'vi')).toBe('Nội dung c1 đang ở trạng thái chờ duyệt: không thể lưu trữ.');
    // A value without a word is shown as it is; a missing parameter stays visible rather than vanishing.
    expect(errorWord('level', 'region', 'vi')).toBe('region');
    expect(formatError('device.not-found', {}, 'en')).toBe('Device {id} not found.');
    expect(formatError('no.such-code', {}, 'vi')).toBeNull();
    expect(isErrorCode('device.not-found')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
  });

  it('names the loudness methods in both languages', () => {
    expect(errorWord('method', 'dynamic', 'vi')).not.toBe('dynamic');
    expect(errorWord('method', 'linear', 'en')).toBe('linear');
  });

  /**
   * A ratchet: refusals in server/src are coded (LoaError helpers); plain Nest 4xx throws may only shrink. The ones
   * left are machine-facing (device enrolment, peer servers, CAP push, the broker) or the public feedback routes.
   */
  it('leaves no more plain NotFound/BadRequest/Forbidden/Conflict throws in server/src than counted', () => {
    const plain: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts')) {
          readFileSync(p, 'utf8')
            .split('\n')
            .forEach((line, i) => {
              if (/throw new (NotFound|BadRequest|Forbidden|Conflict)Exception\((?!\{)/.test(line)) plain.push(`${path.relative(serverSrc, p)}:${i + 1}: ${line.trim().slice(0, 120)}`);
            });
        }
      }
    };
    walk(serverSrc);
    if (plain.length > 0) console.log(`plain refusals left (${plain.length}):\n${plain.join('\n')}`);
    expect(plain.length).toBeLessThanOrEqual(MAX_PLAIN_THROWS);
    // The converted domains stay converted.
    const converted = [
      ...['schedules/', 'contents/', 'devices/', 'areas/', 'alerts/', 'groups/', 'targeting/', 'commands/', 'auth/', 'media/', 'reports/', 'live/'],
      ...['board-profiles/', 'content-categories/', 'alarms/', 'approval-inbox/', 'fanouts/', 'users/', 'provisioning/provisioning-keys', 'cap/cap-sources'],
      ...['source-system/up-feeds', 'source-system/outbox', 'source-system/peers', 'telemetry/', 'deliveries/', 'device-security/', 'audit/'],
      // The officers' feedback routes; the public intake, the SMS webhook and the settings' problem list (a field list like the schema's) stay plain.
      ...['feedback/feedback.service', 'feedback/feedback-bulletins', 'feedback/feedback-stats', 'feedback/feedback-exports'],
    ];
    expect(plain.filter((p) => converted.some((c) => p.startsWith(c)))).toEqual([]);
  });
});

/** Plain 4xx throws left in server/src when issue 19 converted the rest; lower it as more are converted. */
const MAX_PLAIN_THROWS = 23;
