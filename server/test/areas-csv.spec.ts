import { levelProblem } from '../src/areas/area-levels.js';
import { parseAreasCsv, planAreaImport, type AreaRow, type ExistingArea } from '../src/areas/areas-csv.js';
import { detectSeparator, parseCsvRecords } from '../src/common/csv.js';

const rowsOf = (csv: string): AreaRow[] => {
  const r = parseAreasCsv(csv);
  if (!r.ok || r.errors.length > 0) throw new Error(JSON.stringify(r.errors));
  return r.rows;
};

describe(parseCsvRecords.name, () => {
  it('gives each record the line it starts on, quoted line breaks included, with either separator', () => {
    expect(parseCsvRecords('a;b\n"x\ny";"1;2"\n\nz;w\n', ';')).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['x\ny', '1;2'] },
      { line: 5, cells: ['z', 'w'] },
    ]);
  });

  it('picks the separator the header uses', () => {
    expect(detectSeparator('\ufeffma;ten;cap;ma_cha\r\n01;"Hà Nội, thủ đô";tinh;\r\n')).toBe(';');
    expect(detectSeparator('code,name,level,parentCode\n')).toBe(',');
  });
});

describe(parseAreasCsv.name, () => {
  it('reads English headers in any order', () => {
    expect(rowsOf('name,code,parentCode,level\nThành phố Hà Nội,01,,province\n"Xã Tây Đằng, Ba Vì",09955,01,commune\n')).toEqual([
      { line: 2, code: '01', name: 'Thành phố Hà Nội', level: 'province', parentCode: null },
      { line: 3, code: '09955', name: 'Xã Tây Đằng, Ba Vì', level: 'commune', parentCode: '01' },
    ]);
  });

  it('reads Vietnamese headers and unit kinds, a BOM, semicolons and CRLF', () => {
    const csv = '\ufeffMã;Tên;Cấp;Mã cha\r\n01;Thành phố Hà Nội;Tỉnh;\r\n271;Huyện Ba Vì;huyện;01\r\n09955;Xã Tây Đằng;Thị trấn;271\r\n00004;Phường Ba Đình;phuong;01\r\n';
    expect(rowsOf(csv).map((r) => [r.line, r.code, r.level, r.parentCode])).toEqual([
      [2, '01', 'province', null],
      [3, '271', 'district', '01'],
      [4, '09955', 'commune', '271'],
      [5, '00004', 'commune', '01'],
    ]);
  });

  it('names every bad row with its line and code', () => {
    const r = parseAreasCsv('code,name,level,parentCode\n01,Hà Nội,province,\n02,,hamlet,\n01,Trùng,province,\nx y,Tên,commune,01\n03,Tự cha,commune,03\n');
    expect(r).toEqual({
      ok: true,
      rows: [{ line: 2, code: '01', name: 'Hà Nội', level: 'province', parentCode: null }],
      errors: [
        { line: 3, code: '02', message: 'the name is empty; unknown level "hamlet" (one of country, province, district, commune, village)' },
        { line: 4, code: '01', message: 'duplicate code: also on line 2' },
        { line: 5, code: 'x y', message: expect.stringMatching(/^invalid code "x y"/) },
        { line: 6, code: '03', message: 'an area cannot be its own parent' },
      ],
    });
  });

  it('refuses a bad header, an empty file and an unterminated quote', () => {
    expect(parseAreasCsv('code,ten,kind\n01,x,province\n')).toEqual({ ok: false, errors: [{ line: 1, code: null, message: expect.stringMatching(/missing column\(s\) level; unknown column\(s\) kind/) }] });
    expect(parseAreasCsv('code,name,level\n')).toMatchObject({ ok: false, errors: [{ line: 1, message: 'no area rows after the header' }] });
    expect(parseAreasCsv('code,name,level\n01,"Hà Nội,province\n')).toMatchObject({ ok: false, errors: [{ line: 2, message: 'a quoted field is never closed' }] });
  });
});

describe(planAreaImport.name, () => {
  const db: ExistingArea[] = [
    { code: '01', name: 'Thành phố Hà Nội', level: 'province', parentCode: null, path: '/01/' },
    { code: '271', name: 'Huyện Ba Vì', level: 'district', parentCode: '01', path: '/01/271/' },
    { code: '09955', name: 'Xã Tây Đằng', level: 'commune', parentCode: '271', path: '/01/271/09955/' },
    { code: '02', name: 'Tỉnh Hà Giang', level: 'province', parentCode: null, path: '/02/' },
  ];

  it('creates parents before children even when the file lists children first; updates names; counts unchanged', () => {
    const rows = rowsOf('code,name,level,parentCode\n10003,Xã Mới,commune,272\n272,Huyện Mới,district,01\n271,Huyện Ba Vì (mới),district,01\n09955,Xã Tây Đằng,commune,271\n');
    const r = planAreaImport(rows, db, { allowMove: false });
    expect(r).toEqual({
      ok: true,
      plan: {
        creates: [
          { code: '272', name: 'Huyện Mới', level: 'district', parentCode: '01', path: '/01/272/' },
          { code: '10003', name: 'Xã Mới', level: 'commune', parentCode: '272', path: '/01/272/10003/' },
        ],
        updates: [{ code: '271', name: 'Huyện Ba Vì (mới)', level: 'district', parentCode: '01', path: '/01/271/' }],
        created: ['272', '10003'],
        updated: ['271'],
        unchanged: ['09955'],
        moved: [],
      },
    });
  });

  it('accepts a commune directly under a province (2025 two-tier) and refuses levels that do not fit', () => {
    const rows = rowsOf(
      'code,name,level,parentCode\n20001,Xã hai cấp,commune,02\n30001,Huyện lạc,district,271\n30002,Tỉnh con,province,01\n30003,Xã mồ côi,commune,\n30004,Thôn,village,02\n',
    );
    const r = planAreaImport(rows, db, { allowMove: false });
    expect(r).toEqual({
      ok: false,
      errors: [
        { line: 3, code: '30001', message: 'a district cannot be under a district (271)' },
        { line: 4, code: '30002', message: 'a province cannot be under a province (01)' },
        { line: 5, code: '30003', message: 'a commune needs a parent (only country or province may be at the top)' },
        { line: 6, code: '30004', message: 'a village cannot be under a province (02)' },
      ],
    });
  });

  it('refuses unknown parents, and moves unless allowed', () => {
    const rows = rowsOf('code,name,level,parentCode\n40001,Xã,commune,99999\n271,Huyện Ba Vì,district,02\n');
    expect(planAreaImport(rows, db, { allowMove: false })).toEqual({
      ok: false,
      errors: [
        { line: 2, code: '40001', message: 'unknown parent 99999: neither in the database nor in the file' },
        { line: 3, code: '271', message: 'area 271 is under 01 in the database; moving it to 02 needs ?allowMove=true' },
      ],
    });
  });

  it('with allowMove, rewrites the path of the moved area and of its whole stored subtree', () => {
    const rows = rowsOf('code,name,level,parentCode\n271,Huyện Ba Vì,district,02\n');
    const r = planAreaImport(rows, db, { allowMove: true });
    expect(r).toMatchObject({
      ok: true,
      plan: {
        moved: ['271'],
        updates: [
          { code: '271', parentCode: '02', path: '/02/271/' },
          { code: '09955', parentCode: '271', path: '/02/271/09955/' },
        ],
      },
    });
  });

  it('finds cycles, within the file or through the stored tree', () => {
    const tree: ExistingArea[] = [
      { code: 'A', name: 'A', level: 'commune', parentCode: null, path: '/A/' },
      { code: 'B', name: 'B', level: 'commune', parentCode: 'A', path: '/A/B/' },
    ];
    const rows: AreaRow[] = [{ line: 2, code: 'A', name: 'A', level: 'commune', parentCode: 'B' }];
    const r = planAreaImport(rows, tree, { allowMove: true });
    expect(r).toEqual({ ok: false, errors: [{ line: 2, code: 'A', message: 'a commune cannot be under a commune (B); cycle: A → B → A' }] });
  });

  it('names rows under a row that is itself bad instead of judging their level, and judges the rest', () => {
    const parsed = parseAreasCsv('code,name,level,parentCode\n70001,Huyện,hamlet,01\n70002,Xã,commune,70001\n70003,Xã,commune,88888\n70004,Thôn,village,01\n');
    if (!parsed.ok) throw new Error('unreadable');
    const r = planAreaImport(parsed.rows, db, { allowMove: false, badRows: new Map(parsed.errors.map((e) => [e.code!, e.line])) });
    expect(r).toEqual({
      ok: false,
      errors: [
        { line: 3, code: '70002', message: 'parent row 2 is invalid' },
        { line: 4, code: '70003', message: 'unknown parent 88888: neither in the database nor in the file' },
        { line: 5, code: '70004', message: 'a village cannot be under a province (01)' },
      ],
    });
  });

  it('refuses a level change that its stored children no longer fit', () => {
    const rows = rowsOf('code,name,level,parentCode\n271,Ba Vì,commune,01\n');
    expect(planAreaImport(rows, db, { allowMove: false })).toEqual({ ok: false, errors: [{ line: 2, code: '271', message: 'cannot become a commune: its commune 09955 would no longer fit' }] });
  });
});

describe(levelProblem.name, () => {
  it.each([
    ['province', null],
    ['country', null],
    ['province', 'country'],
    ['district', 'province'],
    ['commune', 'district'],
    ['commune', 'province'], // 2025 two-tier reform
    ['village', 'commune'],
  ])('lets a %s sit under %s', (level, parentLevel) => {
    expect(levelProblem(level, parentLevel === null ? null : { code: 'P', level: parentLevel })).toBeNull();
  });

  it('names what does not fit', () => {
    expect(levelProblem('district', { code: '00004', level: 'commune' })).toBe('a district cannot be under a commune (00004)');
    expect(levelProblem('village', { code: '01', level: 'province' })).toBe('a village cannot be under a province (01)');
    expect(levelProblem('commune', null)).toBe('a commune needs a parent (only country or province may be at the top)');
    expect(levelProblem('commune', { code: 'R', level: 'region' })).toBe('a commune cannot be under a region (R)');
    expect(levelProblem('hamlet', null)).toBe('unknown level "hamlet"');
  });
});
