import { DEFAULT_CAP_PRIORITY_RULES } from '@loa/shared/rest';
import { coveringAreas, haversineKm, insidePolygon } from '../src/cap/cap-geo.js';
import { alertTimes, mapPriority, pickInfos } from '../src/cap/cap-mapping.js';
import { CapContentError, parseCap, parseReferences } from '../src/cap/cap-parse.js';
import { capDateTime } from '../src/cap/cap-out.js';
import { capSample } from './support/cap.js';
import { parseFeed } from '../src/cap/cap-feeds.js';

describe('CAP mapping pieces', () => {
  it.each([
    [{ urgency: 'Immediate', severity: 'Extreme', certainty: 'Observed' }, 'emergency'],
    [{ urgency: 'Expected', severity: 'Severe', certainty: 'Possible' }, 'emergency'],
    [{ urgency: 'Immediate', severity: 'Severe', certainty: 'Unlikely' }, 'priority'],
    [{ urgency: 'Future', severity: 'Severe', certainty: 'Likely' }, 'priority'],
    [{ urgency: 'Expected', severity: 'Moderate', certainty: 'Likely' }, 'priority'],
    [{ urgency: 'Past', severity: 'Extreme', certainty: 'Observed' }, 'normal'],
    [{ urgency: 'Immediate', severity: 'Minor', certainty: 'Observed' }, 'normal'],
  ] as const)('maps %o to %s with the default table', (info, priority) => {
    expect(mapPriority(info, DEFAULT_CAP_PRIORITY_RULES)).toBe(priority);
  });

  it('follows a source’s own table, first match first', () => {
    expect(mapPriority({ urgency: 'Future', severity: 'Minor', certainty: 'Likely' }, [{ urgency: ['Future'], priority: 'emergency' }, { priority: 'priority' }])).toBe('emergency');
  });

  it('reads references as sender,identifier,sent triples and refuses anything else', () => {
    expect(parseReferences(' a@b,ID-1,2026-12-05T10:00:00+07:00\n a@b,ID-2,2026-12-05T11:00:00-00:00 ')).toEqual([
      { sender: 'a@b', identifier: 'ID-1', sent: '2026-12-05T10:00:00+07:00', sentAt: Date.parse('2026-12-05T03:00:00Z') },
      { sender: 'a@b', identifier: 'ID-2', sent: '2026-12-05T11:00:00-00:00', sentAt: Date.parse('2026-12-05T11:00:00Z') },
    ]);
    expect(() => parseReferences('a@b,ID-1')).toThrow(CapContentError);
  });

  it('prefers the Vietnamese infos and reads times with their offsets', () => {
    const msg = parseCap(capSample('alert.xml', { SENT: '2026-12-05T10:00:00+07:00', ONSET: '2026-12-05T10:30:00+07:00', EXPIRES: '2026-12-05T12:00:00+07:00' }));
    const [info] = pickInfos(msg.infos);
    expect(info!.language).toBe('vi-VN');
    expect(info!.areas[0]!.geocodes.map((g) => g.value)).toEqual(['00004', '00007']);
    const now = Date.parse('2026-12-05T03:05:00Z');
    expect(alertTimes(info!, now, 3600)).toEqual({ effectiveAt: Date.parse('2026-12-05T03:30:00Z'), expiresAt: Date.parse('2026-12-05T05:00:00Z') });
    // Without expires: the source's default validity from the effective time.
    expect(alertTimes({ ...info!, expires: null, onset: null }, now, 3600)).toEqual({ effectiveAt: now, expiresAt: now + 3_600_000 });
  });

  it('refuses a polygon that is not closed', () => {
    const xml = capSample('geo.xml', { IDENTIFIER: 'X', SENT: '2026-12-05T10:00:00+07:00', EXPIRES: '2026-12-05T12:00:00+07:00', SHAPE: '<polygon>1,1 1,2 2,2 2,1</polygon>' });
    expect(() => parseCap(xml)).toThrow(/first and last the same/);
  });

  it('tests points against polygons and distances on the sphere', () => {
    const square = { points: [[21, 105], [21, 106], [22, 106], [22, 105], [21, 105]] as Array<[number, number]> };
    expect(insidePolygon({ lat: 21.5, lon: 105.5 }, square)).toBe(true);
    expect(insidePolygon({ lat: 22.5, lon: 105.5 }, square)).toBe(false);
    // Hà Nội – Hải Phòng ≈ 95 km.
    expect(haversineKm({ lat: 21.0285, lon: 105.8542 }, { lat: 20.8449, lon: 106.6881 })).toBeGreaterThan(85);
    expect(haversineKm({ lat: 21.0285, lon: 105.8542 }, { lat: 20.8449, lon: 106.6881 })).toBeLessThan(100);
  });

  it('keeps the fewest areas: a commune under a targeted district is dropped', () => {
    const paths = new Map([
      ['01', '/01/'],
      ['004', '/01/004/'],
      ['00115', '/01/004/00115/'],
      ['00118', '/01/005/00118/'],
    ]);
    expect(coveringAreas(['00115', '004', '00118', '00115'], paths)).toEqual(['00118', '004']);
  });

  it('writes CAP date-times in Vietnam time with an explicit offset', () => {
    expect(capDateTime(Date.parse('2026-12-05T03:00:00.750Z'))).toBe('2026-12-05T10:00:00+07:00');
  });

  it('reads Atom and RSS entries: a CAP link, an embedded alert, an escaped one, an enclosure', () => {
    const cap = '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>E1</identifier></alert>';
    const atom = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><id>urn:a</id><link rel="alternate" type="text/html" href="/a.html"/><link rel="related" type="application/cap+xml" href="/a.xml"/></entry><entry><id>urn:b</id><content type="application/cap+xml">${cap}</content></entry></feed>`;
    expect(parseFeed(atom)).toEqual([
      { id: 'urn:a', link: '/a.xml', embedded: null },
      { id: 'urn:b', link: null, embedded: cap },
    ]);
    const escaped = cap.replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    const rss = `<rss version="2.0"><channel><title>x</title><item><guid>g1</guid><link>https://x.vn/1.xml</link></item><item><guid>g2</guid><description>${escaped}</description></item><item><enclosure url="https://x.vn/3.xml" type="application/cap+xml" length="1"/></item></channel></rss>`;
    expect(parseFeed(rss)).toEqual([
      { id: 'g1', link: 'https://x.vn/1.xml', embedded: null },
      { id: 'g2', link: null, embedded: cap },
      { id: 'https://x.vn/3.xml', link: 'https://x.vn/3.xml', embedded: null },
    ]);
    expect(() => parseFeed('<!DOCTYPE feed [<!ENTITY a "b">]><feed/>')).toThrow(/DOCTYPE/);
  });
});
