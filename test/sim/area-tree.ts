import type { DeviceKind } from '@loa/shared';

export type AreaLevel = 'province' | 'district' | 'commune' | 'village';

export interface SampleArea {
  code: string;
  name: string;
  level: AreaLevel;
  parentCode?: string;
}

export interface SampleDevice {
  id: string;
  name: string;
  kind: DeviceKind;
  areaCode: string;
  /** The device's area and its ancestors, root first. */
  areaCodes: string[];
}

export interface SampleTreeOptions {
  devices: number;
  /** Devices per commune (default 40: a province of 10,000 devices has 250 communes). */
  perCommune?: number;
  /** 2 = province → commune (2025 reform), 3 = province → district → commune. Default 2. */
  tiers?: 2 | 3;
  provinceCode?: string;
  provinceName?: string;
  /** Every n-th device of a commune is an e-board, the rest loudspeaker clusters (default 10). */
  boardEvery?: number;
  /** Prefix of device ids (default "sim"), so several sample fleets can share one server. */
  idPrefix?: string;
}

// Syllables of real Vietnamese place names; pairs of them give plausible, unique commune names.
const FIRST = ['An', 'Bình', 'Cẩm', 'Đông', 'Hòa', 'Hưng', 'Kỳ', 'Lộc', 'Minh', 'Nghĩa', 'Phú', 'Quang', 'Sơn', 'Tân', 'Thạch', 'Thanh', 'Thiên', 'Trung', 'Vĩnh', 'Xuân', 'Đức', 'Hương', 'Mỹ', 'Gia', 'Hồng', 'Kim', 'Long', 'Nam', 'Phúc', 'Yên'];
const SECOND = ['An', 'Bình', 'Châu', 'Điền', 'Giang', 'Hà', 'Hải', 'Hòa', 'Hưng', 'Khánh', 'Lâm', 'Lạc', 'Lĩnh', 'Long', 'Lộc', 'Mỹ', 'Ninh', 'Phong', 'Phú', 'Sơn', 'Tân', 'Thành', 'Thịnh', 'Thủy', 'Tiến', 'Trạch', 'Trung', 'Vinh', 'Xuân', 'Yên'];
const DISTRICTS = ['Hương Khê', 'Can Lộc', 'Đức Thọ', 'Kỳ Anh', 'Thạch Hà', 'Cẩm Xuyên', 'Nghi Xuân', 'Vũ Quang', 'Lộc Hà', 'Hương Sơn', 'Đông Sơn', 'Yên Thành', 'Quỳnh Lưu', 'Tân Kỳ', 'Nam Đàn', 'Thanh Chương'];

/** Name i of an endless sequence of distinct two-syllable names (with a numeral once the pairs run out). */
const PAIRS: string[] = FIRST.flatMap((a) => SECOND.filter((b) => b !== a).map((b) => `${a} ${b}`));

export function placeName(i: number): string {
  const pairs = PAIRS;
  // A fixed stride walks the pairs in a scattered but deterministic order.
  const n = pairs.length;
  const name = pairs[(i * 37) % n] ?? 'An Bình';
  return i < n ? name : `${name} ${Math.floor(i / n) + 1}`;
}

/**
 * A sample province with about devices/perCommune communes (optionally grouped into districts) and the devices
 * spread evenly over them. Codes follow the GSO shape: 2-digit province, 3-digit district, 5-digit commune.
 */
export function sampleTree(opts: SampleTreeOptions): { areas: SampleArea[]; devices: SampleDevice[]; provinceCode: string } {
  const perCommune = Math.max(1, opts.perCommune ?? 40);
  const tiers = opts.tiers ?? 2;
  const province = opts.provinceCode ?? '42';
  const communes = Math.max(1, Math.ceil(opts.devices / perCommune));
  const districts = tiers === 3 ? Math.max(1, Math.min(DISTRICTS.length * 4, Math.ceil(communes / 12))) : 0;
  const prefix = opts.idPrefix ?? 'sim';
  const boardEvery = Math.max(1, opts.boardEvery ?? 10);
  const areas: SampleArea[] = [{ code: province, name: opts.provinceName ?? 'Tỉnh Hà Tĩnh (mẫu)', level: 'province' }];
  for (let d = 0; d < districts; d++) {
    const base = DISTRICTS[d % DISTRICTS.length] ?? 'Hương Khê';
    areas.push({ code: `${province}${String(d + 1).padStart(3, '0')}`, name: `Huyện ${base}${d >= DISTRICTS.length ? ` ${Math.floor(d / DISTRICTS.length) + 1}` : ''}`, level: 'district', parentCode: province });
  }
  const communeChains: string[][] = [];
  for (let c = 0; c < communes; c++) {
    const code = `${province}${String(c + 1).padStart(4, '0')}`;
    const parent = districts > 0 ? `${province}${String((c % districts) + 1).padStart(3, '0')}` : province;
    areas.push({ code, name: `Xã ${placeName(c)}`, level: 'commune', parentCode: parent });
    communeChains.push(districts > 0 ? [province, parent, code] : [province, code]);
  }
  const names = new Map(areas.map((a) => [a.code, a.name]));
  const devices: SampleDevice[] = [];
  for (let i = 0; i < opts.devices; i++) {
    const c = i % communes;
    const nth = Math.floor(i / communes) + 1;
    const chain = communeChains[c] ?? [province];
    const areaCode = chain[chain.length - 1] ?? province;
    const kind: DeviceKind = nth % boardEvery === 0 ? 'board' : 'speaker';
    const commune = names.get(areaCode) ?? areaCode;
    devices.push({
      id: `${prefix}-${kind === 'board' ? 'brd' : 'spk'}-${areaCode}-${String(nth).padStart(3, '0')}`,
      name: `${kind === 'board' ? 'Bảng tin' : 'Cụm loa'} ${nth} – ${commune}`,
      kind,
      areaCode,
      areaCodes: chain,
    });
  }
  return { areas, devices, provinceCode: province };
}
