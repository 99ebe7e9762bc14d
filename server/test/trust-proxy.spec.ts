import { startTestServer, type TestServer } from './support/server.js';

/**
 * Behind a load balancer (deploy/scale-out.md) every request comes from the balancer's address: the audit log would
 * record it for every operator, and device login throttling would hold back the whole fleet as one address.
 */
describe('client addresses behind a load balancer (LOA_TRUST_PROXY)', () => {
  const servers: TestServer[] = [];
  afterAll(() => Promise.all(servers.map((s) => s.close())));

  const auditedIp = async (t: TestServer, forwardedFor: string): Promise<string | null> => {
    const res = await fetch(`${t.baseUrl}/api/v1/areas`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
      body: JSON.stringify({ code: `9${String(servers.length)}`, name: 'Xã', level: 'province' }),
    });
    expect(res.status).toBe(201);
    // A successful change is audited before it is answered.
    const log = await t.api<Array<{ action: string; ip: string | null }>>('GET', '/api/v1/audit?action=areas.create');
    expect(log.status).toBe(200);
    expect(log.body).toHaveLength(1);
    return log.body[0]!.ip;
  };

  it('records the forwarded client address when the balancer is trusted', async () => {
    const t = await startTestServer({ LOA_TRUST_PROXY: 'loopback' });
    servers.push(t);
    expect(await auditedIp(t, '203.0.113.7')).toBe('203.0.113.7');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy (a forged header)', async () => {
    const t = await startTestServer();
    servers.push(t);
    expect(await auditedIp(t, '203.0.113.7')).toMatch(/127\.0\.0\.1/);
  });
});
