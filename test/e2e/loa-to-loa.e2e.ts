/**
 * Issue 16, Loa to Loa end to end: two real Loa server processes (a province and a commune), peers set up on both
 * through the REST API as two administrators would, and a real agent on the commune's server. The province sends a
 * bulletin down; it arrives in the commune's approval queue marked with its origin; the commune approves and
 * schedules it; the agent plays it and reports; the results travel back up and the province shows them. A repeated
 * delivery creates nothing twice, and results produced while the province is down reach it once it is back.
 */
import { jest } from '@jest/globals';
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { loa, makeTone, spawnAgent, spawnServer, stopAll, tempDir, waitFor, type Api, type TestServer } from './support/index.js';

jest.setTimeout(600_000);

const SUITE = 'loa-to-loa';
const INBOX = '/api/v1/source-system/inbox';

interface PeerCreated {
  id: string;
  inboundSecret: string;
}
interface ContentWithOrigin {
  id: string;
  state: string;
  type: string;
  title: string;
  origin?: { peerId: string; peerName: string; originId: string; priority: string | null } | null;
}
interface Exchange {
  id: string;
  kind: string;
  direction: string;
  idempotencyKey: string;
  state: string;
  attempts: number;
  lastError: string | null;
}
interface RemoteResult {
  originId: string;
  status: string;
  due: number;
  played: number;
  failed: number;
  rows: Array<{ deviceId: string; state: string; deviceName: string | null }>;
}

/** Signs as a Loa peer does (shared contract: HMAC-SHA256 of "<t>.<raw body>"). */
const sign = (secret: string, body: string): string => {
  const t = Math.floor(Date.now() / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex')}`;
};

const final = ['finished', 'failed', 'preempted', 'skipped', 'expired'];

describe('Loa to Loa: a province bulletin plays on a commune agent and its result returns', () => {
  const work = tempDir(SUITE);
  let province: TestServer;
  let commune: TestServer;
  /** The commune as the province knows it (a lower peer), and the province as the commune knows it (an upper peer). */
  let communeAtProvince: PeerCreated;
  let provinceAtCommune: PeerCreated;
  let provinceContentId: string;
  let received: ContentWithOrigin;

  const queue = async (api: Api): Promise<ContentWithOrigin[]> => (await api.get<{ contents: ContentWithOrigin[] }>('/api/v1/approvals')).contents;
  const fromProvince = async (): Promise<ContentWithOrigin[]> => (await commune.api.get<ContentWithOrigin[]>('/api/v1/contents')).filter((c) => c.origin?.originId === provinceContentId);
  const results = async (): Promise<RemoteResult | undefined> =>
    (await province.api.get<RemoteResult[]>(`/api/v1/source-system/peers/${communeAtProvince.id}/results?originId=${provinceContentId}`))[0];
  const playOnce = async (startInMs: number): Promise<void> => {
    const s = await loa.createSchedule(commune.api, { contentId: received.id, startAt: new Date(Date.now() + startInMs).toISOString(), targets: { areas: ['20001'] }, priority: 'priority' });
    const done = await waitFor(
      async () => (await loa.deliveries(commune.api, s.id)).find((d) => final.includes(d.state)),
      120_000,
      { what: `the commune agent to report schedule ${s.id}` },
    );
    expect(done.state).toBe('finished');
  };

  beforeAll(async () => {
    [province, commune] = await Promise.all([spawnServer({ suite: SUITE, name: 'province' }), spawnServer({ suite: SUITE, name: 'commune' })]);
    await loa.createArea(province.api, { code: '20', name: 'Tỉnh Thử Nghiệm', level: 'province' });
    await loa.createArea(commune.api, { code: '20', name: 'Tỉnh Thử Nghiệm', level: 'province' });
    await loa.createArea(commune.api, { code: '20001', name: 'Xã Tây Đằng', level: 'commune', parentCode: '20' });

    // Each administrator creates the other server as a peer and hands over the secret it was shown once.
    communeAtProvince = await province.api.post<PeerCreated>('/api/v1/source-system/peers', { kind: 'loa', name: 'Xã Tây Đằng', role: 'lower', baseUrl: commune.baseUrl });
    provinceAtCommune = await commune.api.post<PeerCreated>('/api/v1/source-system/peers', {
      kind: 'loa',
      name: 'Tỉnh Thử Nghiệm',
      role: 'upper',
      baseUrl: province.baseUrl,
      remotePeerId: communeAtProvince.id,
      outboundSecret: communeAtProvince.inboundSecret,
    });
    await province.api.expect('PATCH', `/api/v1/source-system/peers/${communeAtProvince.id}`, 200, { remotePeerId: provinceAtCommune.id, outboundSecret: provinceAtCommune.inboundSecret });

    const d = await loa.createDevice(commune.api, { id: 'spk-tay-dang-1', name: 'Cụm loa UBND xã', kind: 'speaker', areaCode: '20001' });
    await spawnAgent({ suite: SUITE, serverUrl: commune.baseUrl, mqttUrl: commune.mqttUrl, deviceId: 'spk-tay-dang-1', secret: d.secret, kind: 'speaker', audioOutput: 'null' });
  });

  afterAll(stopAll);

  it('delivers the bulletin into the commune approval queue with its origin', async () => {
    const media = await loa.uploadAudio(province.api, await makeTone(path.join(work, 'thong-bao-tinh.mp3'), 3, 520));
    const content = await loa.createAudioContent(province.api, 'Thông báo của tỉnh về phòng chống bão', media.sha256);
    provinceContentId = content.id;
    const sent = await province.api.post<Exchange>(`/api/v1/source-system/peers/${communeAtProvince.id}/bulletins`, { contentId: content.id, priority: 'priority' }, 202);
    expect(sent).toMatchObject({ kind: 'bulletin', direction: 'out' });

    // The province's dispatcher posts it; the commune fetches the audio through the signed link and queues it.
    received = await waitFor(async () => (await queue(commune.api)).find((c) => c.origin?.originId === content.id), 90_000, { what: 'the bulletin in the commune approval queue' });
    expect(received).toMatchObject({
      type: 'audio',
      state: 'submitted',
      title: 'Thông báo của tỉnh về phòng chống bão',
      origin: { peerId: provinceAtCommune.id, peerName: 'Tỉnh Thử Nghiệm', originId: content.id, priority: 'priority' },
    });
    const out = await waitFor(async () => (await province.api.get<{ items: Exchange[] }>(`/api/v1/source-system/exchanges?peerId=${communeAtProvince.id}&kind=bulletin`)).items.find((x) => x.id === sent.id && x.state === 'sent'), 60_000, {
      what: 'the province exchange marked sent',
    });
    expect(out.attempts).toBeGreaterThanOrEqual(1);

    // The same envelope delivered again (a retry whose answer was lost) is a duplicate and creates nothing.
    const { payload } = await province.api.get<{ payload: unknown }>(`/api/v1/source-system/exchanges/${sent.id}`);
    const envelope = JSON.stringify({ idempotencyKey: sent.idempotencyKey, kind: 'bulletin', v: 1, sentAt: new Date().toISOString(), payload });
    const again = await fetch(commune.baseUrl + INBOX, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-loa-peer': provinceAtCommune.id, 'x-loa-signature': sign(provinceAtCommune.inboundSecret, envelope) },
      body: envelope,
    });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ accepted: true, duplicate: true });
    // And the province sending the same request again is one exchange (its key is made of the request).
    const twice = await province.api.post<Exchange>(`/api/v1/source-system/peers/${communeAtProvince.id}/bulletins`, { contentId: content.id, priority: 'priority' }, 202);
    expect(twice.id).toBe(sent.id);
    expect(await fromProvince()).toHaveLength(1);
  });

  it('plays it on the commune agent once approved and scheduled, and the province shows played 1 of 1', async () => {
    const approved = await commune.api.request<{ state: string }>('POST', `/api/v1/contents/${received.id}/approve`);
    expect([approved.status, approved.body.state]).toEqual([expect.any(Number), 'approved']);
    expect(approved.status).toBeLessThan(300);
    await playOnce(12_000);
    const r = await waitFor(async () => {
      const x = await results();
      return x && x.played === 1 && x.due === 1 ? x : undefined;
    }, 120_000, { what: 'the province to show the commune result (played 1 of 1)' });
    expect(r).toMatchObject({ status: 'scheduled', failed: 0 });
    expect(r.rows).toEqual([expect.objectContaining({ deviceId: 'spk-tay-dang-1', deviceName: 'Cụm loa UBND xã', state: 'finished' })]);
    const levels = await province.api.get<{ played: number; due: number; peers: Array<{ peerName: string }> }>(`/api/v1/source-system/lower-levels?originId=${provinceContentId}`);
    expect(levels).toMatchObject({ due: 1, played: 1, peers: [expect.objectContaining({ peerName: 'Xã Tây Đằng' })] });
  });

  it('gets results produced while the province was down once it is back (outbox retries)', async () => {
    // Killed, not stopped: nothing of the province says goodbye.
    await province.proc.stop('SIGKILL', 2000);
    await playOnce(10_000);
    // The commune's new results wait in its outbox: tried, refused by a dead server, to be tried again.
    const pending = await waitFor(
      async () => (await commune.api.get<{ items: Exchange[] }>(`/api/v1/source-system/exchanges?peerId=${provinceAtCommune.id}&kind=bulletin-result`)).items.find((x) => x.state !== 'sent' && x.attempts >= 1 && x.lastError !== null),
      120_000,
      { what: 'a results exchange that failed while the province was down' },
    );
    expect(pending.state).not.toBe('dead');
    province = await spawnServer(province.options);
    const r = await waitFor(async () => {
      const x = await results();
      return x && x.played === 2 ? x : undefined;
    }, 240_000, { what: 'the province, restarted, to show played 2 of 2' });
    expect(r).toMatchObject({ due: 2, played: 2, failed: 0 });
    expect(r.rows).toHaveLength(2);
    // The report that failed while the province was down goes through on its own retry too; being older than the
    // one shown, it changes nothing there.
    const retried = await waitFor(async () => {
      const x = await commune.api.get<Exchange>(`/api/v1/source-system/exchanges/${pending.id}`);
      return x.state === 'sent' ? x : undefined;
    }, 240_000, { what: 'the results exchange that failed while the province was down to be sent' });
    expect(retried.attempts).toBeGreaterThanOrEqual(2);
    expect(await results()).toMatchObject({ due: 2, played: 2 });
  });
});
