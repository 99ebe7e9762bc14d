import { createReadStream, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AppConfig } from '../src/config/app-config.js';
import { MediaAudioEntity } from '../src/media/media-audio.entity.js';
import { MediaJobEntity } from '../src/media/media-job.entity.js';
import { MediaEntity } from '../src/media/media.entity.js';
import { MediaIngestService, MediaRefusedException, type ReceivedUpload, type RefusalReason } from '../src/media/media-ingest.service.js';
import type { MediaJobView } from '../src/media/media-jobs.service.js';
import { makeAudioFixtures, makeSpeechWav, measureEbur128, probeFile, type AudioFixtures } from './support/audio-fixtures.js';
import { DATABASES, openSqlite, type TestDatabase } from './support/databases.js';
import { makeMediaFixtures, sha256Of, type MediaFixtures } from './support/media-fixtures.js';
import { buildMediaStack, type MediaStack } from './support/media-stack.js';

const TARGET = -16;
const TRUE_PEAK = -1.5;

// Real ffmpeg end to end: every accepted format in, a normalised mono 44.1 kHz 64 kb/s MP3 out.
describe(MediaIngestService.name, () => {
  let root: string;
  let fx: AudioFixtures;
  let broken: MediaFixtures;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'loa-audio-'));
    [fx, broken] = await Promise.all([makeAudioFixtures(mkdtempSync(path.join(root, 'fx-'))), makeMediaFixtures(mkdtempSync(path.join(root, 'broken-')))]);
  }, 60_000);

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function newConfig(env: Record<string, string> = {}, dataDir = mkdtempSync(path.join(root, 'data-'))): AppConfig {
    return AppConfig.load({ LOA_DATA_DIR: dataDir, LOA_LOG_LEVEL: 'silent', ...env });
  }

  async function stage(stack: MediaStack, file: string, originalName = path.basename(file)): Promise<ReceivedUpload> {
    const tempPath = stack.storage.newTempPath();
    const written = await stack.storage.writeTemp(createReadStream(file), tempPath);
    return { tempPath, bytes: written.bytes, sha256: written.sha256, originalName };
  }

  describe('delivery format and loudness (SQLite)', () => {
    let db: TestDatabase;
    let sut: MediaStack;
    let config: AppConfig;

    beforeAll(async () => {
      db = await openSqlite();
      config = newConfig();
      sut = buildMediaStack(config, db.dataSource);
      await sut.start();
    });

    afterAll(async () => {
      await sut.stop();
      await db.close();
    });

    it.each<[string, keyof AudioFixtures, string]>([
      ['MP3', 'mp3', 'mp3'],
      ['WAV (quiet, about −40 LUFS)', 'quietWav', 'pcm_s16le'],
      ['WAV (loud stereo noise)', 'loudWav', 'pcm_s16le'],
      ['M4A/AAC', 'm4a', 'aac'],
      ['OGG/Opus', 'oggOpus', 'opus'],
      ['FLAC', 'flac', 'flac'],
      ['AMR', 'amr', 'amr_nb'],
      ['WebM/Opus', 'webmOpus', 'opus'],
    ])('turns %s into a mono 44.1 kHz 64 kb/s MP3 at −16 LUFS (±1 LU), true peak ≤ −1 dBTP', async (_label, key, sourceCodec) => {
      const { media, created, audio } = await sut.ingest.ingest(await stage(sut, fx[key]), 'user-1');
      // The WebM holds the very Opus packets of the Ogg file: same decoded audio, same delivered bytes, stored once.
      expect(created).toBe(key !== 'webmOpus');
      const file = path.join(config.mediaDir, media.sha256);
      expect(sha256Of(file)).toBe(media.sha256);

      const probed = await probeFile(file);
      expect(probed).toMatchObject({ formatName: 'mp3', codecName: 'mp3', sampleRate: 44_100, channels: 1 });
      expect(probed.bitRate).toBeGreaterThanOrEqual(62_000);
      expect(probed.bitRate).toBeLessThanOrEqual(66_000);
      expect(media).toMatchObject({ mime: 'audio/mpeg', codec: 'mp3' });
      expect(Math.abs(media.durationMs - 6000)).toBeLessThan(150);

      const measured = await measureEbur128(file);
      expect(Math.abs(measured.integratedLufs - TARGET)).toBeLessThanOrEqual(1);
      expect(measured.truePeakDbtp).toBeLessThanOrEqual(TRUE_PEAK + 0.5);

      // What was recorded: source, and loudness before and after.
      expect(audio).toMatchObject({ sourceSha256: sha256Of(fx[key]), sourceCodec, profile: 'mp3/64k/44100/1ch/-16LUFS/-1.5dBTP/notrim' });
      expect(audio!.inputLufs).not.toBeNull();
      expect(Math.abs(audio!.outputLufs! - TARGET)).toBeLessThanOrEqual(1);
      const row = await db.dataSource.getRepository(MediaAudioEntity).findOneBy({ sourceSha256: sha256Of(fx[key]) });
      expect(row).toMatchObject({ sha256: media.sha256, inputLufs: audio!.inputLufs, outputLufs: audio!.outputLufs, outputTruePeakDbtp: audio!.outputTruePeakDbtp });
    });

    it('brings a quiet and a loud upload to the same loudness (within ±1 LU of each other and of the target)', async () => {
      const quiet = await sut.ingest.ingest(await stage(sut, fx.quietWav), 'u');
      const loud = await sut.ingest.ingest(await stage(sut, fx.loudWav), 'u');
      // The sources really differ by a lot …
      expect(loud.audio!.inputLufs! - quiet.audio!.inputLufs!).toBeGreaterThan(20);
      // … the delivered files do not.
      const [q, l] = await Promise.all([measureEbur128(path.join(config.mediaDir, quiet.media.sha256)), measureEbur128(path.join(config.mediaDir, loud.media.sha256))]);
      expect(Math.abs(q.integratedLufs - TARGET)).toBeLessThanOrEqual(1);
      expect(Math.abs(l.integratedLufs - TARGET)).toBeLessThanOrEqual(1);
      expect(Math.abs(q.integratedLufs - l.integratedLufs)).toBeLessThanOrEqual(1);
    });

    it.each<[string, keyof MediaFixtures | 'silence', RefusalReason, RegExp]>([
      ['a truncated MP3', 'truncatedMp3', 'truncated', /^the file is truncated: its header announces 2\.0 s/],
      ['random bytes named .mp3', 'randomMp3', 'unrecognised', /^not a recognised audio file \(accepted: MP3, WAV/],
      ['a text file', 'textMp3', 'unrecognised', /^not a recognised audio file/],
      ['zero bytes', 'empty', 'empty', /^the file is empty \(0 bytes\)$/],
      ['a WAV header with no data', 'headerOnlyWav', 'silent_or_empty', /^the file contains no audio samples \(duration 0\)$/],
      ['a damaged MP3', 'corruptMp3', 'corrupt', /^the audio is damaged and cannot be decoded in full/],
      ['digital silence', 'silence', 'silent', /^the audio is silent \(no sound above −70 LUFS in 4\.0 s\); nothing would be heard$/],
    ])('refuses %s with its reason, storing nothing', async (_label, key, reason, message) => {
      const mediaBefore = readdirSync(config.mediaDir).sort();
      const rowsBefore = await db.dataSource.getRepository(MediaEntity).count();
      const file = key === 'silence' ? fx.silenceWav : broken[key];
      const err = await sut.ingest.ingest(await stage(sut, file), 'u').then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MediaRefusedException);
      expect((err as MediaRefusedException).reason).toBe(reason);
      expect((err as MediaRefusedException).message).toMatch(message);
      expect(readdirSync(config.mediaDir).sort()).toEqual(mediaBefore);
      expect(await db.dataSource.getRepository(MediaEntity).count()).toBe(rowsBefore);
      expect(readdirSync(sut.storage.tmpDir)).toEqual([]);
      // The job says so too.
      const jobs = await db.dataSource.getRepository(MediaJobEntity).find({ where: { state: 'failed', reason }, order: { createdAt: 'DESC' } });
      expect(jobs[0]?.message).toMatch(message);
    });

    it('ingests a local file (for TTS) with the same result type, leaving the caller its file', async () => {
      const result = await sut.ingest.ingestLocalFile(fx.flac, 'Thông báo.flac', 'tts');
      expect(existsSync(fx.flac)).toBe(true);
      // The FLAC was ingested above already: same source, same result.
      expect(result.created).toBe(false);
      expect(result.media.mime).toBe('audio/mpeg');
      expect(result.jobId).toEqual(expect.any(String));
      expect(readdirSync(sut.storage.tmpDir)).toEqual([]);
    });
  });

  describe.each(DATABASES)('on %s', (_name, open) => {
    let db: TestDatabase;
    let sut: MediaStack;
    let config: AppConfig;

    beforeEach(async () => {
      db = await open();
      config = newConfig();
      sut = buildMediaStack(config, db.dataSource);
      await sut.start();
    });

    afterEach(async () => {
      await sut.stop();
      await db.close();
    });

    it('processes and stores the same source once: one media row, one file, the same answer', async () => {
      const first = await sut.ingest.ingest(await stage(sut, fx.mp3, 'a.mp3'), 'u1');
      const second = await sut.ingest.ingest(await stage(sut, fx.mp3, 'b.mp3'), 'u2');
      expect([first.created, second.created]).toEqual([true, false]);
      expect(second.media).toEqual(first.media);
      expect(await db.dataSource.getRepository(MediaEntity).count()).toBe(1);
      expect(await db.dataSource.getRepository(MediaAudioEntity).count()).toBe(1);
      expect(readdirSync(config.mediaDir)).toEqual([first.media.sha256]);
      expect(sut.metrics.get('media_upload_duplicate')).toBe(1);
      // Uploading the delivered file itself is a duplicate too.
      const third = await sut.ingest.ingest(await stage(sut, path.join(config.mediaDir, first.media.sha256)), 'u3');
      expect(third).toMatchObject({ created: false, media: first.media });
      expect(readdirSync(config.mediaDir)).toEqual([first.media.sha256]);
    });

    it('fails an interrupted job visibly when its source is gone at start-up', async () => {
      const { job, result } = await sut.ingest.submit(await stage(sut, await makeSpeechWav(path.join(root, `gone-${db.name}.wav`), 60), 'gone.wav'), 'u1');
      await waitFor(async () => (await sut.jobs.get(job.id)).state === 'processing', 'processing to start');
      await sut.stop();
      await result.catch(() => undefined);
      const row = await db.dataSource.getRepository(MediaJobEntity).findOneByOrFail({ id: job.id });
      rmSync(row.sourcePath!);

      sut = buildMediaStack(config, db.dataSource);
      await sut.start();
      expect(await sut.jobs.get(job.id)).toMatchObject({
        state: 'failed',
        reason: 'interrupted',
        message: 'the server restarted during processing and the uploaded file is gone; upload it again',
      });
      expect(jobEvents(sut, job.id).map((j) => j.state)).toEqual(['failed']);
    }, 60_000);
  });

  // Resuming is the job queue's logic around real ffmpeg, not SQL: finding an instance's interrupted jobs on
  // PostgreSQL is proven in media-instances.spec.ts, so the 90 s of speech is processed twice on SQLite only.
  describe('restart (SQLite)', () => {
    let db: TestDatabase;
    let sut: MediaStack;
    let config: AppConfig;

    beforeEach(async () => {
      db = await openSqlite();
      config = newConfig();
      sut = buildMediaStack(config, db.dataSource);
      await sut.start();
    });

    afterEach(async () => {
      await sut.stop();
      await db.close();
    });

    it('resumes a job stopped mid-processing when the server starts again on the same data', async () => {
      const long = await makeSpeechWav(path.join(root, `long-${db.name}.wav`), 90);
      const { job, result } = await sut.ingest.submit(await stage(sut, long, 'long.wav'), 'u1');
      await waitFor(async () => (await sut.jobs.get(job.id)).progress > 0.15, 'processing to be under way');
      await sut.stop();
      await expect(result).rejects.toThrow(/shutting down/);
      const interrupted = await db.dataSource.getRepository(MediaJobEntity).findOneByOrFail({ id: job.id });
      expect(interrupted.state).toBe('processing');
      expect(existsSync(interrupted.sourcePath!)).toBe(true);
      expect(readdirSync(config.mediaDir)).toEqual([]);

      sut = buildMediaStack(config, db.dataSource);
      await sut.start();
      await waitFor(async () => (await sut.jobs.get(job.id)).state === 'done', 'the resumed job to finish', 120_000);
      const done = await sut.jobs.get(job.id);
      expect(done).toMatchObject({ state: 'done', progress: 1, created: true, sourceSha256: sha256Of(long) });
      expect(readdirSync(config.mediaDir)).toEqual([done.mediaSha256]);
      expect(readdirSync(sut.storage.tmpDir)).toEqual([]);
      // Its events show it going round again, rising to 1.
      const progress = jobEvents(sut, job.id).map((j) => j.progress);
      expect(progress.at(-1)).toBe(1);
    }, 180_000);
  });

  describe('settings', () => {
    let db: TestDatabase;
    beforeEach(async () => (db = await openSqlite()));
    afterEach(async () => db.close());

    it('trims leading and trailing silence when LOA_AUDIO_TRIM_SILENCE=true', async () => {
      const sut = buildMediaStack(newConfig({ LOA_AUDIO_TRIM_SILENCE: 'true' }), db.dataSource);
      await sut.start();
      try {
        const { media, audio } = await sut.ingest.ingest(await stage(sut, fx.paddedWav), 'u');
        expect(audio!.sourceDurationMs).toBe(6500);
        // 3 s of tone plus at most 0.1 s kept on each side (and MP3 padding).
        expect(media.durationMs).toBeGreaterThanOrEqual(3000);
        expect(media.durationMs).toBeLessThanOrEqual(3300);
        expect(audio!.profile).toMatch(/\/trim$/);
      } finally {
        await sut.stop();
      }
    });

    it('delivers Opus in Ogg at 48 kHz with LOA_AUDIO_FORMAT=opus, at the configured loudness', async () => {
      const config = newConfig({ LOA_AUDIO_FORMAT: 'opus', LOA_AUDIO_BITRATE_KBPS: '48', LOA_LOUDNESS_TARGET_LUFS: '-20' });
      const sut = buildMediaStack(config, db.dataSource);
      await sut.start();
      try {
        const { media } = await sut.ingest.ingest(await stage(sut, fx.m4a), 'u');
        expect(media).toMatchObject({ mime: 'audio/ogg', codec: 'opus' });
        const file = path.join(config.mediaDir, media.sha256);
        expect(await probeFile(file)).toMatchObject({ formatName: 'ogg', codecName: 'opus', sampleRate: 48_000, channels: 1 });
        expect(Math.abs((await measureEbur128(file)).integratedLufs + 20)).toBeLessThanOrEqual(1);
        expect(statSync(file).size).toBeGreaterThan(0);
      } finally {
        await sut.stop();
      }
    });
  });
});

function jobEvents(stack: MediaStack, id: string): MediaJobView[] {
  return stack.events.filter((e) => e.type === 'media.job').map((e) => e.job as MediaJobView).filter((j) => j.id === id);
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
