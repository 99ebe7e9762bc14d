import { retryOnConflict } from './retry.js';

describe(retryOnConflict.name, () => {
  const pgError = (code: string) => Object.assign(new Error('deadlock detected'), { code });

  it('runs the transaction again after a deadlock or serialization failure', async () => {
    const errors = [pgError('40P01'), pgError('40001')];
    let runs = 0;
    const result = await retryOnConflict(async () => {
      runs++;
      const e = errors.shift();
      if (e) throw e;
      return 'committed';
    });
    expect([result, runs]).toEqual(['committed', 3]);
  });

  it('gives up after the attempts, and never retries other errors', async () => {
    let runs = 0;
    await expect(retryOnConflict(async () => { runs++; throw pgError('40P01'); }, 2)).rejects.toThrow('deadlock');
    expect(runs).toBe(2);
    runs = 0;
    await expect(retryOnConflict(async () => { runs++; throw Object.assign(new Error('disk full'), { code: '53100' }); })).rejects.toThrow('disk full');
    expect(runs).toBe(1);
  });

  it('recognises the code on a TypeORM QueryFailedError (driverError)', async () => {
    let runs = 0;
    await retryOnConflict(async () => {
      if (runs++ === 0) throw Object.assign(new Error('q'), { driverError: { code: '40P01' } });
    });
    expect(runs).toBe(2);
  });
});
