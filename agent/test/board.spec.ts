import { request } from 'node:http';
import { BoardServer } from '../src/features/board/board.js';
import { silentLogger } from './helpers.js';

/** Collects SSE `state` events from /events. */
function subscribe(url: string) {
  const states: Array<{ current: { occurrenceId: string; text: string; title: string } | null }> = [];
  let close = () => undefined as void;
  const ready = new Promise<void>((resolve, reject) => {
    const req = request(`${url}/events`, (res) => {
      expect(res.headers['content-type']).toMatch(/text\/event-stream/);
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (block.includes('event: state') && data) states.push(JSON.parse(data.slice(6)));
        }
        resolve();
      });
    });
    req.on('error', reject);
    req.end();
    close = () => void req.destroy();
  });
  return { states, ready, close: () => close() };
}

describe('BoardServer', () => {
  let board: BoardServer;
  beforeEach(async () => {
    board = new BoardServer({ host: '127.0.0.1', port: 0, logger: silentLogger() });
    await board.start();
  });
  afterEach(() => board.stop());

  it('listens on an ephemeral port and serves the kiosk page', async () => {
    expect(board.port).toBeGreaterThan(0);
    const res = await fetch(`${board.url}/`);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('id="message"');
    expect(html).toContain('id="title"');
    expect(html).toContain("new EventSource('/events')");
    expect((await fetch(`${board.url}/nope`)).status).toBe(404);
  });

  it('pushes shown text over SSE and reflects it in /state', async () => {
    const sub = subscribe(board.url);
    await sub.ready;
    expect(sub.states[0]).toEqual({ current: null });
    const text = 'Thông báo: Ủy ban nhân dân xã Đồng Tâm họp dân lúc 8 giờ sáng';
    board.show({ occurrenceId: 'occ-1', text, title: 'Lịch họp', since: 123 });
    await waitUntil(() => sub.states.length >= 2);
    expect(sub.states[1]).toEqual({ current: expect.objectContaining({ occurrenceId: 'occ-1', text, title: 'Lịch họp', since: 123, className: 'text' }) });

    const state = await (await fetch(`${board.url}/state`)).json();
    expect(state).toEqual({ current: expect.objectContaining({ occurrenceId: 'occ-1', text, title: 'Lịch họp', since: 123 }) });

    board.clear('other'); // not what is showing: no change
    board.clear('occ-1');
    await waitUntil(() => sub.states.length >= 3);
    expect(sub.states[2]).toEqual({ current: null });
    expect(await (await fetch(`${board.url}/state`)).json()).toEqual({ current: null });
    sub.close();
  });
});

async function waitUntil(fn: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 10));
  }
}
