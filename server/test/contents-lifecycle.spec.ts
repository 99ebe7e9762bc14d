import { BadRequestException, ConflictException, PayloadTooLargeException } from '@nestjs/common';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import ffprobeInstaller from '@ffprobe-installer/ffprobe';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { BoardProfilesRepository } from '../src/board-profiles/board-profiles.repository.js';
import { BoardProfilesService } from '../src/board-profiles/board-profiles.service.js';
import { ContentImages } from '../src/contents/content-images.js';
import { ContentsRepository } from '../src/contents/contents.repository.js';
import { ContentsService } from '../src/contents/contents.service.js';
import { ImageProcessor } from '../src/contents/image-processor.js';
import { ContentImageVariantEntity } from '../src/contents/content-image-variant.entity.js';
import { MediaEntity } from '../src/media/media.entity.js';
import { ChildProcessMediaTools } from '../src/media/media-tools.js';
import { MediaStorage } from '../src/media/media.storage.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { FixedClock, silentLogger, testConfig } from './support/fixtures.js';
import { TestDomainEvents } from './support/domain-events.js';

const NOW = Date.parse('2026-11-23T08:00:00Z');
const work = mkdtempSync(path.join(tmpdir(), 'loa-img-'));
const ffmpeg = (args: string[]): void => void execFileSync(ffmpegInstaller.path, ['-v', 'error', '-y', ...args]);
const probeSize = (file: string): string =>
  execFileSync(ffprobeInstaller.path, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0:s=x', file]).toString().trim();

const fixtures = {
  png: path.join(work, 'poster.png'),
  jpeg: path.join(work, 'photo.jpg'),
  corrupt: path.join(work, 'corrupt.png'),
  text: path.join(work, 'notes.png'),
  huge: path.join(work, 'wide.png'),
};
beforeAll(() => {
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=800x600', '-frames:v', '1', fixtures.png]);
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=1000x1000', '-frames:v', '1', fixtures.jpeg]);
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=800x600', '-frames:v', '1', fixtures.corrupt]);
  truncateSync(fixtures.corrupt, Math.floor(readFileSync(fixtures.corrupt).length / 2));
  writeFileSync(fixtures.text, 'Thông báo: đây không phải là ảnh\n');
  ffmpeg(['-f', 'lavfi', '-i', 'color=c=red:size=8100x8', '-frames:v', '1', fixtures.huge]);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.each(DATABASES)(`${ContentsService.name} on %s`, (_name, open) => {
  let db: TestDatabase;
  let dataDir: string;
  let profiles: BoardProfilesService;
  let sut: ContentsService;

  beforeEach(async () => {
    db = await open();
    dataDir = mkdtempSync(path.join(tmpdir(), 'loa-content-'));
    const clock = new FixedClock(NOW);
    const storage = new MediaStorage(testConfig({ LOA_DATA_DIR: dataDir }), silentLogger, clock);
    await storage.ensureDirs();
    const repo = new ContentsRepository(db.dataSource);
    profiles = new BoardProfilesService(new BoardProfilesRepository(db.dataSource), clock);
    sut = new ContentsService(repo, new ContentImages(storage, new ImageProcessor(new ChildProcessMediaTools()), repo, clock, silentLogger), profiles, clock, new TestDomainEvents());
    sut.onModuleInit();
  });
  afterEach(async () => {
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const text = (over: Record<string, unknown> = {}) =>
    sut.create({ type: 'text', title: 'Thông báo', text: 'Ủy ban nhân dân xã Tây Đằng tổ chức tiêm chủng', displaySeconds: 30, ...over }, 'editor');

  it('walks draft → submitted → approved → archived, recording who and when for each step', async () => {
    const c = await text();
    expect(c).toMatchObject({ state: 'draft', submittedBy: null, approvedBy: null });
    expect((await sut.submit(c.id, 'editor')).state).toBe('submitted');
    const approved = await sut.approve(c.id, 'chief');
    expect(approved).toMatchObject({ state: 'approved', submittedBy: 'editor', approvedBy: 'chief', approvedAt: new Date(NOW).toISOString() });
    const archived = await sut.archive(c.id, 'chief');
    expect(archived).toMatchObject({ state: 'archived', archivedBy: 'chief' });
    expect(archived.history.map((h) => `${h.action}:${h.from}->${h.to}:${h.by}`)).toEqual([
      'create:null->draft:editor',
      'submit:draft->submitted:editor',
      'approve:submitted->approved:chief',
      'archive:approved->archived:chief',
    ]);
  });

  it('rejects with a reason; the rejected content is edited and resubmitted', async () => {
    const c = await text({ submit: true });
    expect(c.state).toBe('submitted');
    const rejected = await sut.reject(c.id, 'Sai ngày tiêm', 'chief');
    expect(rejected).toMatchObject({ state: 'rejected', rejectReason: 'Sai ngày tiêm', rejectedBy: 'chief' });
    const edited = await sut.update(c.id, { text: 'Tiêm chủng vào thứ Bảy', style: { fontSize: 'large', color: '#ffffff', background: '#003366' } }, 'editor');
    expect(edited).toMatchObject({ state: 'rejected', text: 'Tiêm chủng vào thứ Bảy', style: { fontSize: 'large', color: '#ffffff', background: '#003366' } });
    const again = await sut.submit(c.id, 'editor');
    expect(again).toMatchObject({ state: 'submitted', rejectReason: null });
    expect((await sut.approve(c.id, 'chief')).state).toBe('approved');
  });

  it('approve: true records create, submit and approve by the creator (admins may approve their own content)', async () => {
    const c = await text({ approve: true });
    expect(c).toMatchObject({ state: 'approved', submittedBy: 'editor', approvedBy: 'editor' });
    expect(c.history.map((h) => h.action)).toEqual(['create', 'submit', 'approve']);
  });

  it('refuses transitions that do not start from the right state, naming the state', async () => {
    const c = await text();
    await expect(sut.approve(c.id, 'chief')).rejects.toThrow(new ConflictException(`content ${c.id} is draft: cannot approve it`));
    await expect(sut.reject(c.id, 'x', 'chief')).rejects.toThrow(ConflictException);
    await sut.submit(c.id, 'editor');
    await expect(sut.submit(c.id, 'editor')).rejects.toThrow(/is submitted: cannot submit/);
    await expect(sut.update(c.id, { title: 'x' }, 'editor')).rejects.toThrow(/is submitted: only draft or rejected/);
    await sut.approve(c.id, 'chief');
    await expect(sut.update(c.id, { title: 'x' }, 'editor')).rejects.toThrow(/is approved: only draft or rejected content can be edited \(create a new content instead\)/);
    await expect(sut.reject(c.id, 'late', 'chief')).rejects.toThrow(/is approved: cannot reject/);
    await sut.archive(c.id, 'chief');
    await expect(sut.archive(c.id, 'chief')).rejects.toThrow(/is archived: cannot archive/);
    await expect(sut.submit(c.id, 'editor')).rejects.toThrow(/is archived/);
  });

  it('refuses fields that do not belong to the content type', async () => {
    const c = await sut.create({ type: 'relay', title: 'Đài tỉnh', url: 'http://radio.example.vn/live', durationSeconds: 60 }, 'editor');
    await expect(sut.update(c.id, { text: 'x' }, 'editor')).rejects.toThrow(new BadRequestException('text does not apply to relay content'));
  });

  describe('images', () => {
    const upload = (file: string, over: Record<string, unknown> = {}) =>
      sut.createImage(createReadStream(file), undefined, { title: 'Lịch tiêm chủng', displaySeconds: 20, ...over }, 'editor');

    it('validates PNG and JPEG uploads and resizes them to each profile exactly (scale + pad)', async () => {
      const led = await profiles.create({ name: 'LED P10 192×96', width: 192, height: 96 });
      const portrait = await profiles.create({ name: 'LCD portrait 1080×1920', width: 1080, height: 1920 });
      expect(portrait.orientation).toBe('portrait');
      for (const file of [fixtures.png, fixtures.jpeg]) {
        const c = await upload(file, { approve: true });
        expect(c).toMatchObject({ type: 'image', state: 'approved', image: { width: file === fixtures.png ? 800 : 1000 } });
        const variants = await db.dataSource.getRepository(ContentImageVariantEntity).findBy({ contentId: c.id });
        expect(variants.map((v) => `${v.profileId === '-' ? 'default' : v.profileId}:${v.width}x${v.height}`).sort()).toEqual(
          [`default:1920x1080`, `${led.id}:192x96`, `${portrait.id}:1080x1920`].sort(),
        );
        for (const v of variants) {
          expect(probeSize(path.join(dataDir, 'media', v.sha256))).toBe(`${v.width}x${v.height}`);
          // Devices download it like any media, by sha256.
          expect(await db.dataSource.getRepository(MediaEntity).findOneBy({ sha256: v.sha256 })).toMatchObject({ mime: 'image/png' });
        }
      }
    });

    it('prepares existing images for a profile created later, and recompiles the boards of a resized profile', async () => {
      const c = await upload(fixtures.png);
      const lcd = await profiles.create({ name: 'LCD 1280×720', width: 1280, height: 720 });
      const v = await db.dataSource.getRepository(ContentImageVariantEntity).findOneByOrFail({ contentId: c.id, profileId: lcd.id });
      expect(probeSize(path.join(dataDir, 'media', v.sha256))).toBe('1280x720');
      await profiles.update(lcd.id, { width: 640, height: 360 });
      const resized = await db.dataSource.getRepository(ContentImageVariantEntity).findOneByOrFail({ contentId: c.id, profileId: lcd.id });
      expect(probeSize(path.join(dataDir, 'media', resized.sha256))).toBe('640x360');
    });

    it.each([
      ['a text file named .png', () => fixtures.text, /not an image/],
      ['a corrupt (truncated) PNG', () => fixtures.corrupt, /corrupt|not an image/],
      ['an image wider than 8000 px', () => fixtures.huge, /8100×8 px; at most 8000/],
    ])('refuses %s with 400', async (_what, file, message) => {
      await expect(upload(file())).rejects.toThrow(BadRequestException);
      await expect(upload(file())).rejects.toThrow(message);
      expect(await sut.list()).toEqual([]);
    });

    it('refuses more than 20 MB with 413, declared or not', async () => {
      const big = (): Readable => Readable.from((function* () { for (let i = 0; i < 21; i++) yield Buffer.alloc(1024 * 1024); })());
      await expect(sut.createImage(big(), 21 * 1024 * 1024, { title: 'x', displaySeconds: 5 }, 'u')).rejects.toThrow(PayloadTooLargeException);
      await expect(sut.createImage(big(), undefined, { title: 'x', displaySeconds: 5 }, 'u')).rejects.toThrow(PayloadTooLargeException);
    });

    it('previews an image at the profile resolution with the variant inlined', async () => {
      const led = await profiles.create({ name: 'LED P10 192×96', width: 192, height: 96 });
      const c = await upload(fixtures.png);
      const html = await sut.preview(c.id, led.id);
      expect(html).toContain('--w: 192px; --h: 96px;');
      expect(html).toMatch(/<img id="image" src="data:image\/png;base64,[A-Za-z0-9+/=]+" alt="Lịch tiêm chủng">/);
    });
  });

  it('previews styled text with the shared renderer, HTML-escaped', async () => {
    const c = await text({ text: '<b>Tây Đằng</b>', style: { fontSize: 'xlarge', color: '#ffffff', background: '#003366', mode: 'scroll', scrollSpeed: 80 } });
    const html = await sut.preview(c.id, undefined);
    expect(html).toContain('--w: 1920px; --h: 1080px;');
    expect(html).toContain('&lt;b&gt;Tây Đằng&lt;/b&gt;');
    expect(html).toContain('#screen.text { background: #003366; color: #ffffff; }');
    expect(html).toContain('data-speed="80"');
  });
});

describe.each(DATABASES)(`${BoardProfilesService.name} on %s`, (_name, open) => {
  let db: TestDatabase;
  let sut: BoardProfilesService;
  beforeEach(async () => {
    db = await open();
    sut = new BoardProfilesService(new BoardProfilesRepository(db.dataSource), new FixedClock(NOW));
  });
  afterEach(() => db.close());

  it('creates, lists, renames, resizes and deletes profiles; orientation follows the resolution', async () => {
    const a = await sut.create({ name: 'LCD 1920×1080', width: 1920, height: 1080 });
    expect(a).toMatchObject({ orientation: 'landscape', width: 1920, height: 1080 });
    await expect(sut.create({ name: 'LCD 1920×1080', width: 1280, height: 720 })).rejects.toThrow(ConflictException);
    await expect(sut.create({ name: 'x', width: 1080, height: 1920, orientation: 'landscape' })).rejects.toThrow(/1080×1920 is portrait, not landscape/);
    const b = await sut.create({ name: 'LCD portrait 1080×1920', width: 1080, height: 1920 });
    expect((await sut.list()).map((p) => p.name)).toEqual(['LCD 1920×1080', 'LCD portrait 1080×1920']);
    expect(await sut.update(b.id, { width: 1920, height: 1080, name: 'LCD xoay ngang' })).toMatchObject({ orientation: 'landscape', name: 'LCD xoay ngang' });
    await sut.remove(a.id);
    await expect(sut.get(a.id)).rejects.toThrow(/not found/);
  });
});
