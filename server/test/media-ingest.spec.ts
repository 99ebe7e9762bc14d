import { jest } from '@jest/globals';
import { BadRequestException } from '@nestjs/common';
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Metrics } from '../src/common/metrics.js';
import { AppConfig } from '../src/config/app-config.js';
import { MediaAudioEntity } from '../src/media/media-audio.entity.js';
import { MediaEntity } from '../src/media/media.entity.js';
import { MediaIngestService, MediaRefusedException, type ReceivedUpload, type RefusalReason } from '../src/media/media-ingest.service.js';
import { MediaRepository } from '../src/media/media.repository.js';
import { MediaStorage } from '../src/media/media.storage.js';
import { openSqlite, type TestDatabase } from './support/databases.js';
import { makeMediaFixtures, sha256Of, type MediaFixtures } from './support/media-fixtures.js';
import { buildMediaStack, type MediaStack } from './support/media-stack.js';

describe(MediaIngestService.name, () => {
  let root: string;
  let fx: MediaFixtures;
  let db: TestDatabase;
  let config: AppConfig;
  let storage: MediaStorage;
  let repo: MediaRepository;
  let metrics: Metrics;
  let ingest: MediaIngestService;
  let stack: MediaStack;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'loa-media-ingest-'));
    fx = await makeMediaFixtures(mkdtempSync(path.join(root, 'fixtures-')));
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  beforeEach(async () => {
    db = await openSqlite();
    // 0.05 min = 3 s: the 2 s fixtures pass, the 5 s one does not.
    config = AppConfig.load({ LOA_DATA_DIR: mkdtempSync(path.join(root, 'data-')), LOA_MAX_AUDIO_MINUTES: '0.05' });
    stack = buildMediaStack(config, db.dataSource);
    await stack.start();
    ({ storage, repo, metrics, ingest } = stack);
  });

  afterEach(async () => {
    await stack.stop();
    await db.close();
  });

  /** What the upload receiver does: stream the file into tmp, hashing it. */
  async function stage(file: string, originalName = path.basename(file)): Promise<ReceivedUpload> {
    const tempPath = storage.newTempPath();
    const written = await storage.writeTemp(createReadStream(file), tempPath);
    return { tempPath, bytes: written.bytes, sha256: written.sha256, originalName };
  }

  const rows = () => db.dataSource.getRepository(MediaEntity).find();
  const stored = () => readdirSync(config.mediaDir);
  const temps = () => readdirSync(storage.tmpDir);

  it('hashes while staging: the temp file holds the exact bytes and the sha256 is theirs', async () => {
    const upload = await stage(fx.mp3);
    expect(upload.sha256).toBe(sha256Of(fx.mp3));
    expect(upload.bytes).toBe(statSync(fx.mp3).size);
    expect(readFileSync(upload.tempPath).equals(readFileSync(fx.mp3))).toBe(true);
  });

  it.each([
    ['mp3', 'audio/mpeg', 'mp3'],
    ['wav', 'audio/wav', 'pcm_s16le'],
    ['ogg', 'audio/ogg', 'vorbis'],
  ] as const)('delivers a good %s as an MP3 at mediaDir/<its sha256> with its rows', async (key, sourceMime, sourceCodec) => {
    const upload = await stage(fx[key], `Bản tin sáng.${key}`);
    const result = await ingest.ingest(upload, 'user-1');

    expect(result.created).toBe(true);
    const sha = result.media.sha256;
    // Deliberate change (issue 6): what is stored is the transcoded, normalised file, addressed by its own hash.
    expect(sha).not.toBe(sha256Of(fx[key]));
    expect(stored()).toEqual([sha]);
    expect(sha256Of(path.join(config.mediaDir, sha))).toBe(sha);
    expect(temps()).toEqual([]);
    const [row, ...others] = await rows();
    expect(others).toEqual([]);
    expect(row).toMatchObject({ sha256: sha, bytes: statSync(path.join(config.mediaDir, sha)).size, mime: 'audio/mpeg', codec: 'mp3', originalName: `Bản tin sáng.${key}`, createdBy: 'user-1' });
    // 2 s of sine, as encoded (MP3 frames may pad a few ms).
    expect(row!.durationMs).toBeGreaterThanOrEqual(1990);
    expect(row!.durationMs).toBeLessThanOrEqual(2100);
    const audio = await db.dataSource.getRepository(MediaAudioEntity).find();
    expect(audio).toEqual([expect.objectContaining({ sha256: sha, sourceSha256: sha256Of(fx[key]), sourceBytes: statSync(fx[key]).size, sourceMime, sourceCodec })]);
    expect(metrics.get('media_upload_accepted')).toBe(1);
  });

  it('stores the same bytes once: the second upload returns the first record with created=false', async () => {
    const first = await ingest.ingest(await stage(fx.mp3, 'a.mp3'), 'user-1');
    const second = await ingest.ingest(await stage(fx.mp3, 'b.mp3'), 'user-2');

    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.media).toMatchObject({ sha256: first.media.sha256, originalName: 'a.mp3', createdBy: 'user-1', createdAt: first.media.createdAt });
    expect(await rows()).toHaveLength(1);
    expect(stored()).toEqual([first.media.sha256]);
    expect(temps()).toEqual([]);
    expect(metrics.get('media_upload_duplicate')).toBe(1);
  });

  it('absorbs the same bytes uploaded twice at once', async () => {
    const [a, b] = await Promise.all([ingest.ingest(await stage(fx.wav), 'u1'), ingest.ingest(await stage(fx.wav), 'u2')]);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(await rows()).toHaveLength(1);
    expect(stored()).toHaveLength(1);
    expect(temps()).toEqual([]);
  });

  it.each<[string, keyof MediaFixtures, RefusalReason, RegExp]>([
    ['a zero-length file', 'empty', 'empty', /the file is empty \(0 bytes\)/],
    ['a text file named .mp3', 'textMp3', 'unrecognised', /not a recognised audio file \(accepted: MP3, WAV/],
    ['random bytes named .mp3', 'randomMp3', 'unrecognised', /not a recognised audio file/],
    ['a video without audio', 'videoOnlyMp4', 'no_audio', /no audio stream \(detected format: mov,mp4/],
    ['a WAV header with no data', 'headerOnlyWav', 'silent_or_empty', /no audio samples \(duration 0\)/],
    ['an MP3 cut to its first 30%', 'truncatedMp3', 'truncated', /truncated: its header announces 2\.0 s of audio but only 0\.\d s can be decoded/],
    ['an MP3 with noise over its middle', 'corruptMp3', 'corrupt', /damaged and cannot be decoded in full: .*(Header missing|Invalid data)/],
    ['audio longer than LOA_MAX_AUDIO_MINUTES', 'longMp3', 'too_long', /lasts 5\.0 s, longer than the limit of 3\.0 s \(LOA_MAX_AUDIO_MINUTES\)/],
  ])('refuses %s with its reason and leaves nothing behind', async (_label, key, reason, message) => {
    const upload = await stage(fx[key]);
    const failure = await ingest.ingest(upload, 'user-1').then(
      () => null,
      (err: unknown) => err,
    );

    expect(failure).toBeInstanceOf(MediaRefusedException);
    expect(failure).toBeInstanceOf(BadRequestException);
    expect((failure as MediaRefusedException).reason).toBe(reason);
    expect((failure as MediaRefusedException).message).toMatch(message);
    expect((failure as MediaRefusedException).message).not.toContain(storage.tmpDir);
    expect(await rows()).toEqual([]);
    expect(stored()).toEqual([]);
    expect(temps()).toEqual([]);
    expect(metrics.get('media_upload_refused')).toBe(1);
    expect(metrics.get(`media_upload_refused_${reason}`)).toBe(1);
  });

  it('leaves no file when the row cannot be written', async () => {
    jest.spyOn(repo, 'insertProcessed').mockRejectedValueOnce(new Error('database is locked'));
    await expect(ingest.ingest(await stage(fx.mp3), 'user-1')).rejects.toThrow('database is locked');
    expect(await rows()).toEqual([]);
    expect(stored()).toEqual([]);
    expect(temps()).toEqual([]);
    expect(metrics.get('media_upload_failed')).toBe(1);
  });

  it('puts a lost file back when its source is uploaded again (processing is deterministic)', async () => {
    const { media } = await ingest.ingest(await stage(fx.mp3), 'user-1');
    const delivered = readFileSync(path.join(config.mediaDir, media.sha256));
    unlinkSync(path.join(config.mediaDir, media.sha256));

    const again = await ingest.ingest(await stage(fx.mp3), 'user-1');
    expect(again.created).toBe(false);
    expect(again.media.sha256).toBe(media.sha256);
    expect(readFileSync(path.join(config.mediaDir, media.sha256)).equals(delivered)).toBe(true);
    expect(temps()).toEqual([]);
  });

  describe('MediaService.require', () => {
    it('returns a stored record and refuses an unknown hash with 400 "unknown media <sha>"', async () => {
      const service = stack.service;
      const { media } = await ingest.ingest(await stage(fx.wav), 'user-1');
      await expect(service.require(media.sha256)).resolves.toMatchObject({ sha256: media.sha256, mime: 'audio/mpeg', createdAt: new Date(media.createdAt).toISOString() });

      const unknown = 'f'.repeat(64);
      const err = await service.require(unknown).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadRequestException);
      expect((err as Error).message).toBe(`unknown media ${unknown}`);
    });
  });
});
