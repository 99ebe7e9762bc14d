/** A short mono 16-bit PCM WAV tone (valid audio for the server's probe), built in memory. */
export function toneWav(seconds = 2, rate = 16_000, hz = 440): Buffer {
  const samples = Math.round(seconds * rate);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * hz * i) / rate) * 8000), i * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/** Uploads a file to POST /api/v1/media (multipart field "file"); returns its sha256. */
export async function uploadMedia(baseUrl: string, token: string, body: Buffer, name: string, type: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([body], { type }), name);
  const res = await fetch(`${baseUrl}/api/v1/media`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form, signal: AbortSignal.timeout(120_000) });
  const text = await res.text();
  if (res.status !== 201 && res.status !== 200) throw new Error(`POST /api/v1/media → ${res.status}: ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { sha256: string }).sha256;
}
