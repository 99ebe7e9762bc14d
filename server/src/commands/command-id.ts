import { randomBytes } from 'node:crypto';

let lastMs = -1;
let counter = 0;

/**
 * UUIDv7 (RFC 9562) with a 12-bit counter in rand_a for ids minted in the same millisecond, so that ordering
 * commands by id is ordering them by creation: a device that was offline receives its queue in the order given.
 */
export function timeOrderedId(nowMs: number): string {
  let ms = Math.max(0, Math.floor(nowMs));
  if (ms <= lastMs) {
    ms = lastMs;
    counter++;
    if (counter > 0xfff) {
      // 4096 ids in one millisecond: borrow the next one rather than lose the order.
      ms = lastMs + 1;
      counter = 0;
    }
  } else {
    counter = 0;
  }
  lastMs = ms;
  const ts = ms.toString(16).padStart(12, '0').slice(-12);
  const rand = randomBytes(8);
  rand[0] = (rand[0]! & 0x3f) | 0x80; // variant 10
  const r = rand.toString('hex');
  return `${ts.slice(0, 8)}-${ts.slice(8, 12)}-7${counter.toString(16).padStart(3, '0')}-${r.slice(0, 4)}-${r.slice(4, 16)}`;
}
