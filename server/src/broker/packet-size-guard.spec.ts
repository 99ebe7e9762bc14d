import { PacketFrameScanner } from './packet-size-guard.js';

const limits = { firstPacketBytes: 100, packetBytes: 1000 };
const header = (type: number, length: number): number[] => {
  const out = [type];
  do {
    out.push((length % 128) | (length >= 128 ? 0x80 : 0));
    length = Math.floor(length / 128);
  } while (length > 0);
  return out;
};

describe('PacketFrameScanner', () => {
  it('lets packets within their limits through, however the bytes are split', () => {
    const stream = Buffer.from([...header(0x10, 100), ...Buffer.alloc(100), ...header(0x30, 1000), ...Buffer.alloc(1000), ...header(0xc0, 0)]);
    for (const size of [1, 3, 128, stream.length]) {
      const s = new PacketFrameScanner(limits);
      for (let i = 0; i < stream.length; i += size) expect(s.feed(stream.subarray(i, i + size))).toBeNull();
    }
  });

  it('refuses a first packet over the CONNECT limit at its header', () => {
    expect(new PacketFrameScanner(limits).feed(Buffer.from(header(0x10, 101)))).toEqual({ announcedBytes: 101, limitBytes: 100, first: true });
  });

  it('refuses a later packet over the packet limit, with a length split across reads', () => {
    const s = new PacketFrameScanner(limits);
    expect(s.feed(Buffer.from([...header(0x10, 2), 0, 0]))).toBeNull();
    const big = Buffer.from(header(0x30, 268_435_455));
    expect(s.feed(big.subarray(0, 3))).toBeNull();
    expect(s.feed(big.subarray(3))).toEqual({ announcedBytes: 268_435_455, limitBytes: 1000, first: false });
  });

  it('refuses a remaining length longer than four bytes', () => {
    expect(new PacketFrameScanner(limits).feed(Buffer.from([0x10, 0x80, 0x80, 0x80, 0x80, 0x01]))).toEqual({ malformedLength: true });
  });
});
