import { decodeMessage, encodeMessage, eventsBatchSchema, MAX_PAYLOAD_BYTES, timelineMessageSchema } from './index.js';

describe('decodeMessage', () => {
  const batch = { v: 1, events: [{ id: 'e1', occurrenceId: 'o1', type: 'started', at: 1_700_000_000_000 }] };

  it('decodes a valid batch from bytes', () => {
    const r = decodeMessage(eventsBatchSchema, encodeMessage(batch));
    expect(r).toEqual({ ok: true, value: batch });
  });

  it('decodes only the payload\'s own bytes when it is a view into a larger buffer (as MQTT parsers hand it out)', () => {
    const bytes = encodeMessage(batch);
    const packet = Buffer.concat([Buffer.from('xx{"junk":'), bytes, Buffer.from('}}}')]);
    expect(decodeMessage(eventsBatchSchema, packet.subarray(10, 10 + bytes.length))).toEqual({ ok: true, value: batch });
    expect(decodeMessage(eventsBatchSchema, new Uint8Array(packet.buffer, packet.byteOffset + 10, bytes.length))).toEqual({ ok: true, value: batch });
  });

  it('refuses non-JSON', () => {
    expect(decodeMessage(eventsBatchSchema, Buffer.from('{nope'))).toEqual({ ok: false, error: 'payload is not valid JSON' });
  });

  it('refuses oversized payloads before parsing', () => {
    const r = decodeMessage(eventsBatchSchema, Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/exceeds/);
  });

  it('names the offending field', () => {
    const r = decodeMessage(eventsBatchSchema, JSON.stringify({ v: 1, events: [{ ...batch.events[0], type: 'exploded' }] }));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/events\[0\]\.type/);
  });

  it('refuses another protocol version', () => {
    expect(decodeMessage(eventsBatchSchema, JSON.stringify({ ...batch, v: 2 })).ok).toBe(false);
  });

  it('discriminates timeline slots by type', () => {
    const base = { occurrenceId: 'o1', scheduleId: 's1', contentId: 'c1', title: 't', priority: 'normal', startAt: 1, durationMs: 1000 };
    const ok = decodeMessage(timelineMessageSchema, JSON.stringify({ v: 1, deviceId: 'd1', version: 3, generatedAt: 1, slots: [{ ...base, type: 'text', text: 'Xin chào' }] }));
    expect(ok.ok).toBe(true);
    const bad = decodeMessage(timelineMessageSchema, JSON.stringify({ v: 1, deviceId: 'd1', version: 3, generatedAt: 1, slots: [{ ...base, type: 'audio' }] }));
    expect(bad.ok).toBe(false);
  });
});
