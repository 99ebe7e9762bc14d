import { etagMatches, mediaEtag, parseRange, planDownload } from '../src/media/http-range.js';
import { cleanOriginalName, describeDuration, describeMegabytes, mimeForFormat } from '../src/media/media-formats.js';

describe(parseRange.name, () => {
  const size = 1000;

  it.each([
    ['bytes=0-99', 0, 99],
    ['bytes=100-199', 100, 199],
    ['bytes=500-', 500, 999],
    ['bytes=-100', 900, 999],
    ['bytes=-5000', 0, 999], // suffix longer than the file: the whole file
    ['bytes=990-5000', 990, 999], // end past the file is clamped
    ['bytes=999-999', 999, 999],
    ['BYTES = 10 - 19', 10, 19],
  ])('%s → bytes %i-%i', (header, start, end) => {
    expect(parseRange(header, size)).toEqual({ kind: 'range', range: { start, end } });
  });

  it.each(['bytes=1000-', 'bytes=1000-1200', 'bytes=-0'])('%s is unsatisfiable for 1000 bytes', (header) => {
    expect(parseRange(header, size)).toEqual({ kind: 'unsatisfiable' });
  });

  it('finds every range unsatisfiable on an empty file', () => {
    expect(parseRange('bytes=0-0', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-1', 0)).toEqual({ kind: 'unsatisfiable' });
  });

  it.each([
    [undefined],
    ['items=0-10'],
    ['bytes'],
    ['bytes='],
    ['bytes=-'],
    ['bytes=abc-10'],
    ['bytes=10-abc'],
    ['bytes=1.5-10'],
    ['bytes=+1-10'],
    ['bytes=20-10'], // last < first: an invalid spec is ignored, not answered with 416
    ['bytes=0-1,5-9'], // several ranges: the whole file is an allowed answer
    ['bytes=99999999999999999999-'],
  ])('ignores %p (the whole file is sent)', (header) => {
    expect(parseRange(header, size)).toEqual({ kind: 'none' });
  });
});

describe(planDownload.name, () => {
  const sha = 'a'.repeat(64);
  const etag = mediaEtag(sha);

  it('uses the quoted sha256 as the entity tag', () => {
    expect(etag).toBe(`"${sha}"`);
  });

  it('sends the whole file without conditions', () => {
    expect(planDownload({}, etag, 10)).toEqual({ status: 200, range: { start: 0, end: 9 } });
    expect(planDownload({}, etag, 0)).toEqual({ status: 200, range: null });
  });

  it.each([etag, `W/${etag}`, `"other", ${etag}`, '*'])('answers 304 to If-None-Match %s', (inm) => {
    expect(planDownload({ ifNoneMatch: inm, range: 'bytes=0-1' }, etag, 10)).toEqual({ status: 304 });
  });

  it('ignores If-None-Match naming other tags', () => {
    expect(planDownload({ ifNoneMatch: '"b", W/"c"' }, etag, 10)).toEqual({ status: 200, range: { start: 0, end: 9 } });
  });

  it('answers 206 and 416 to ranges', () => {
    expect(planDownload({ range: 'bytes=2-5' }, etag, 10)).toEqual({ status: 206, range: { start: 2, end: 5 } });
    expect(planDownload({ range: 'bytes=10-' }, etag, 10)).toEqual({ status: 416 });
  });

  it('honours a range only when If-Range names this file (strongly)', () => {
    expect(planDownload({ range: 'bytes=2-5', ifRange: etag }, etag, 10)).toEqual({ status: 206, range: { start: 2, end: 5 } });
    expect(planDownload({ range: 'bytes=2-5', ifRange: '"stale"' }, etag, 10)).toEqual({ status: 200, range: { start: 0, end: 9 } });
    expect(planDownload({ range: 'bytes=2-5', ifRange: `W/${etag}` }, etag, 10)).toEqual({ status: 200, range: { start: 0, end: 9 } });
    expect(planDownload({ range: 'bytes=2-5', ifRange: 'Wed, 21 Oct 2015 07:28:00 GMT' }, etag, 10)).toEqual({ status: 200, range: { start: 0, end: 9 } });
  });

  it('matches etags weakly for If-None-Match only', () => {
    expect(etagMatches(`W/${etag}`, etag)).toBe(true);
    expect(etagMatches('"nope"', etag)).toBe(false);
  });
});

describe('media formats', () => {
  it.each([
    ['mp3', 'audio/mpeg'],
    ['wav', 'audio/wav'],
    ['ogg', 'audio/ogg'],
    ['flac', 'audio/flac'],
    ['mov,mp4,m4a,3gp,3g2,mj2', 'audio/mp4'],
    ['matroska,webm', 'audio/webm'],
    ['amr', 'audio/amr'],
    ['png_pipe', 'application/octet-stream'],
  ])('format %s is served as %s', (format, mime) => {
    expect(mimeForFormat(format)).toBe(mime);
  });

  it('describes durations and limits for people', () => {
    expect(describeDuration(4_249)).toBe('4.2 s');
    expect(describeDuration(725_000)).toBe('12 min 05 s');
    expect(describeDuration(7_389_000)).toBe('2 h 03 min 09 s');
    expect(describeMegabytes(200 * 1024 * 1024)).toBe('200 MB');
    expect(describeMegabytes(0.5 * 1024 * 1024)).toBe('0.5 MB');
  });

  it('keeps file names (Vietnamese included) but not paths or control characters', () => {
    expect(cleanOriginalName('Bản tin sáng.mp3')).toBe('Bản tin sáng.mp3');
    expect(cleanOriginalName('C:\\Users\\a\\..\\tin.mp3')).toBe('tin.mp3');
    expect(cleanOriginalName('../../etc/passwd')).toBe('passwd');
    expect(cleanOriginalName('a\u0000b\nc.wav')).toBe('abc.wav');
    expect(cleanOriginalName('')).toBe('upload');
    expect(cleanOriginalName(undefined)).toBe('upload');
    expect(Array.from(cleanOriginalName('ư'.repeat(300)))).toHaveLength(255);
  });
});
