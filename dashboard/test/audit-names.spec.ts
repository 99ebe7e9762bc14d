import { withNames } from '../src/pages/audit.js';

/** Issue 19: the audit page shows the names the server resolved in place of bare ids, keeping the id beside them. */
describe(withNames.name, () => {
  it('names known ids at any depth and leaves other values alone', () => {
    const names = { '001': 'Huyện Một', 'u-1': 'Trần Văn Duyệt' };
    expect(withNames({ targets: { areas: ['001', '002'] }, approvedBy: 'u-1', repeat: 1, approval: 'approved' }, names)).toEqual({
      targets: { areas: ['Huyện Một (001)', '002'] },
      approvedBy: 'Trần Văn Duyệt (u-1)',
      repeat: 1,
      approval: 'approved',
    });
    expect(withNames(null, names)).toBeNull();
  });
});
