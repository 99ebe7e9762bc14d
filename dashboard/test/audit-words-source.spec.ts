import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXCHANGE_KINDS } from '@loa/shared/rest';
import { ACTION_GROUPS, actionWord } from '../src/pages/admin-audit-words.js';

/**
 * Issue 16: every audit action the source-system connector and the calendar feed write has Vietnamese (and English)
 * words on the audit page. The names are read from the server's code, so a new @Audit name without words fails here.
 */
describe('audit words of the source-system connector and the calendar feed', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../server/src');
  const sources = ['source-system', 'calendar'].flatMap((dir) =>
    readdirSync(path.join(root, dir))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(path.join(root, dir, f), 'utf8')),
  );

  it('names every @Audit action of those controllers', () => {
    const named = sources.flatMap((s) => [...s.matchAll(/@Audit\('([^']+)'/g)].map((m) => m[1]!));
    expect(named).toEqual(expect.arrayContaining(['source-system.peer-create', 'calendar.token-create', 'calendar.token-revoke']));
    for (const action of named) {
      expect(actionWord('vi', action)).not.toBe(action);
      expect(actionWord('en', action)).not.toBe(action);
    }
  });

  it('names the actions written by the dispatcher, the inbox and the poller', () => {
    const dynamic = [
      ...['sent', 'failed', 'dead'].map((s) => `source-system.exchange-${s}`),
      ...EXCHANGE_KINDS.map((k) => `source.inbox.${k}`),
      'source.inbox.unknown',
      'source.pull.bulletin',
    ];
    // The dispatcher and the inbox build them from these templates: if the templates change, so must this list.
    const code = sources.join('\n');
    expect(code).toContain('action: `source-system.exchange-${state}`');
    expect(code).toContain('action: `source.inbox.${e.kind}`');
    expect(code).toContain("PULL_AUDIT_ACTION = 'source.pull.bulletin'");
    for (const action of dynamic) expect(actionWord('vi', action)).not.toBe(action);
    expect(ACTION_GROUPS.map((g) => g.prefix)).toEqual(expect.arrayContaining(['source-system', 'source', 'calendar']));
  });
});
