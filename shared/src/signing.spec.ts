import {
  commandMessageSchema,
  encodeMessage,
  exportPrivateKeyPem,
  generateSigningKey,
  openSigned,
  signingKeyFromPrivate,
  signMessage,
  verifyKeyFromBase64,
  type CommandMessage,
} from './index.js';

describe('signed envelopes', () => {
  const server = generateSigningKey();
  const pinned = verifyKeyFromBase64(server.publicKeyB64);
  const cmd: CommandMessage = { v: 1, id: 'c1', deviceId: 'dev-1', sentAt: 1_000, expiresAt: 2_000, command: { type: 'stop' } };

  it('round-trips a message signed with the pinned key', () => {
    expect(openSigned(commandMessageSchema, signMessage(server, cmd), pinned)).toEqual({ ok: true, value: cmd });
  });

  it('reloads the same key from its PEM', () => {
    const again = signingKeyFromPrivate(exportPrivateKeyPem(server));
    expect(again.publicKeyB64).toBe(server.publicKeyB64);
    expect(again.kid).toBe(server.kid);
    expect(openSigned(commandMessageSchema, signMessage(again, cmd), pinned).ok).toBe(true);
  });

  it('calls a plain, well-formed message unsigned', () => {
    expect(openSigned(commandMessageSchema, encodeMessage(cmd), pinned)).toMatchObject({ ok: false, reason: 'unsigned' });
  });

  it('refuses a message signed by another key', () => {
    const forger = generateSigningKey();
    expect(openSigned(commandMessageSchema, signMessage(forger, cmd), pinned)).toMatchObject({ ok: false, reason: 'unknown-key' });
  });

  it('refuses a forged signature under the right key id', () => {
    const forger = generateSigningKey();
    const env = JSON.parse(signMessage(forger, cmd).toString()) as Record<string, unknown>;
    env.kid = server.kid;
    expect(openSigned(commandMessageSchema, JSON.stringify(env), pinned)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a tampered payload', () => {
    const env = JSON.parse(signMessage(server, cmd).toString()) as { payload: string };
    env.payload = env.payload.replace('"stop"', '"restart"');
    expect(openSigned(commandMessageSchema, JSON.stringify(env), pinned)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a validly signed payload that breaks the schema', () => {
    expect(openSigned(commandMessageSchema, signMessage(server, { ...cmd, command: { type: 'explode' } }), pinned)).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('refuses garbage without throwing', () => {
    expect(openSigned(commandMessageSchema, Buffer.from([0xff, 0x00, 0x7b]), pinned)).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('rejects a malformed pinned key with a clear message', () => {
    expect(() => verifyKeyFromBase64('abc')).toThrow(/32 bytes/);
  });
});
