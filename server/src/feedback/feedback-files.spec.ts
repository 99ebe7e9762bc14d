import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AppConfig } from '../config/app-config.js';
import { LocalFeedbackFiles } from './feedback-files.js';

describe('LocalFeedbackFiles', () => {
  let dir: string;
  let files: LocalFeedbackFiles;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'loa-fb-files-'));
    files = new LocalFeedbackFiles(AppConfig.load({ LOA_DATA_DIR: dir, LOA_LOG_LEVEL: 'silent' }));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stores under <data dir>/feedback, reads back, streams, removes (twice is fine)', async () => {
    await files.put('item-1/att-1', Buffer.from('hello'));
    expect(readdirSync(path.join(dir, 'feedback', 'item-1'))).toEqual(['att-1']);
    expect((await files.read('item-1/att-1')).toString()).toBe('hello');
    const chunks: Buffer[] = [];
    for await (const c of files.stream('item-1/att-1')) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('hello');
    await files.remove('item-1/att-1');
    await files.remove('item-1/att-1');
    await expect(files.read('item-1/att-1')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses keys that could leave the directory', async () => {
    for (const key of ['../x', 'a/../../x', '/etc/passwd', 'a//b', '', '.hidden']) await expect(files.put(key, Buffer.from('x'))).rejects.toThrow(/invalid feedback storage key/);
  });
});
