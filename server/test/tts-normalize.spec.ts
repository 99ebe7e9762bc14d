import { readFileSync } from 'node:fs';
import { normalizeVietnamese, splitForSynthesis } from '../src/tts/vi-normalize.js';
import { parseRoman, readDecimal, readInteger } from '../src/tts/vi-numbers.js';
import { VI_ABBREVIATIONS } from '../src/tts/vi-abbreviations.js';

const sut = normalizeVietnamese;
/** Normalised text without the sentence-final full stop the normaliser adds. */
const say = (text: string, options?: Parameters<typeof normalizeVietnamese>[1]): string => sut(text, options).replace(/\.$/, '');

describe('readInteger', () => {
  it.each<[number | string, string]>([
    [0, 'không'],
    [1, 'một'],
    [5, 'năm'],
    [10, 'mười'],
    [11, 'mười một'],
    [14, 'mười bốn'],
    [15, 'mười lăm'],
    [20, 'hai mươi'],
    [21, 'hai mươi mốt'],
    [24, 'hai mươi tư'],
    [25, 'hai mươi lăm'],
    [55, 'năm mươi lăm'],
    [100, 'một trăm'],
    [105, 'một trăm linh năm'],
    [110, 'một trăm mười'],
    [115, 'một trăm mười lăm'],
    [121, 'một trăm hai mươi mốt'],
    [1000, 'một nghìn'],
    [1005, 'một nghìn không trăm linh năm'],
    [2020, 'hai nghìn không trăm hai mươi'],
    [1945, 'một nghìn chín trăm bốn mươi lăm'],
    [1_250_000, 'một triệu hai trăm năm mươi nghìn'],
    [1_000_050, 'một triệu không trăm năm mươi'],
    [5_994_499, 'năm triệu chín trăm chín mươi tư nghìn bốn trăm chín mươi chín'],
    [1_000_000_005, 'một tỷ không trăm linh năm'],
    ['2500000000000', 'hai nghìn năm trăm tỷ'],
  ])('%s → %s', (n, words) => {
    expect(readInteger(n)).toBe(words);
  });

  it('reads the Southern way when asked', () => {
    expect(readInteger(105, { dialect: 'south' })).toBe('một trăm lẻ năm');
    expect(readInteger(3000, { dialect: 'south' })).toBe('ba ngàn');
  });

  it('reads decimals and Roman numerals', () => {
    expect(readDecimal('2', '5')).toBe('hai phẩy năm');
    expect(readDecimal('141', '05')).toBe('một trăm bốn mươi mốt phẩy không năm');
    expect(parseRoman('XIII')).toBe(13);
    expect(parseRoman('IIII')).toBeNull();
  });
});

describe(normalizeVietnamese.name, () => {
  describe('numbers', () => {
    it.each<[string, string]>([
      ['21 hộ dân', 'hai mươi mốt hộ dân'],
      ['1.250.000 đồng', 'một triệu hai trăm năm mươi nghìn đồng'],
      ['tăng 2,5 lần', 'tăng hai phẩy năm lần'],
      ['đạt 141,5 triệu', 'đạt một trăm bốn mươi mốt phẩy năm triệu'],
      ['Công nghiệp 4.0', 'công nghiệp bốn chấm không'],
      ['gọi 0912345678', 'gọi không chín một hai, ba bốn năm, sáu bảy tám'],
      ['giai đoạn 2016-2020', 'giai đoạn hai nghìn không trăm mười sáu đến hai nghìn không trăm hai mươi'],
      ['lần thứ 4', 'lần thứ tư'],
      ['thứ 1', 'thứ nhất'],
      ['Đại hội XIII', 'đại hội mười ba'],
      ['Quốc hội khóa XV', 'quốc hội khóa mười lăm'],
      ['Quý II/2020', 'quý hai năm hai nghìn không trăm hai mươi'],
      ['nhiệt độ -5°C', 'nhiệt độ âm năm độ xê'],
    ])('%s → %s', (text, spoken) => {
      expect(say(text)).toBe(spoken);
    });
  });

  describe('dates and times', () => {
    it.each<[string, string]>([
      ['07/9/2020', 'ngày bảy tháng chín năm hai nghìn không trăm hai mươi'],
      ['ngày 07/9/2020', 'ngày bảy tháng chín năm hai nghìn không trăm hai mươi'],
      ['Ngày 20/01/2020', 'ngày hai mươi tháng một năm hai nghìn không trăm hai mươi'],
      ['ngày 24-4-2021', 'ngày hai mươi tư tháng tư năm hai nghìn không trăm hai mươi mốt'],
      ['từ 29/01 đến 09/7', 'từ ngày hai mươi chín tháng một đến ngày chín tháng bảy'],
      ['tháng 12/2018', 'tháng mười hai năm hai nghìn không trăm mười tám'],
      ['trong tháng 4', 'trong tháng tư'],
      ['lúc 14h30', 'lúc mười bốn giờ ba mươi phút'],
      ['lúc 14:30', 'lúc mười bốn giờ ba mươi phút'],
      ['từ 7h đến 11h', 'từ bảy giờ đến mười một giờ'],
      ['lúc 14h30 ngày 07/9/2020', 'lúc mười bốn giờ ba mươi phút ngày bảy tháng chín năm hai nghìn không trăm hai mươi'],
      ['4:51 PM', 'bốn giờ năm mươi mốt phút chiều'],
    ])('%s → %s', (text, spoken) => {
      expect(say(text)).toBe(spoken);
    });
  });

  describe('units', () => {
    it.each<[string, string]>([
      ['dài 5 km', 'dài năm ki lô mét'],
      ['cao 12m', 'cao mười hai mét'],
      ['nặng 50 kg', 'nặng năm mươi ki lô gam'],
      ['250 ha lúa', 'hai trăm năm mươi héc ta lúa'],
      ['đạt 100%', 'đạt một trăm phần trăm'],
      ['chiếm 49,18%', 'chiếm bốn mươi chín phẩy mười tám phần trăm'],
      ['nhiệt độ 35°C', 'nhiệt độ ba mươi lăm độ xê'],
      ['lượng mưa 120 mm', 'lượng mưa một trăm hai mươi mi li mét'],
      ['giá 1.250.000đ', 'giá một triệu hai trăm năm mươi nghìn đồng'],
      ['hỗ trợ 500.000 VNĐ', 'hỗ trợ năm trăm nghìn đồng'],
      ['tốc độ 50 km/h', 'tốc độ năm mươi ki lô mét trên giờ'],
    ])('%s → %s', (text, spoken) => {
      expect(say(text)).toBe(spoken);
    });
  });

  describe('abbreviations and document numbers', () => {
    it.each<[string, string]>([
      ['UBND xã', 'ủy ban nhân dân xã'],
      ['HĐND thành phố', 'hội đồng nhân dân thành phố'],
      ['Sở TT&TT', 'sở thông tin và truyền thông'],
      ['Quyết định số 135/QĐ-TTg', 'quyết định số một trăm ba mươi lăm quyết định thủ tướng chính phủ'],
      ['Kế hoạch số 179/KH-UBND', 'kế hoạch số một trăm bảy mươi chín kế hoạch ủy ban nhân dân'],
      ['Nghị định 77/2012/NĐ-CP', 'nghị định bảy mươi bảy năm hai nghìn không trăm mười hai nghị định chính phủ'],
      ['Chỉ thị 05/CT-TTg', 'chỉ thị năm chỉ thị thủ tướng chính phủ'],
      ['Quyết định 3814-QĐ/TU', 'quyết định ba nghìn tám trăm mười bốn quyết định thành ủy'],
      ['TP. Hà Nội', 'thành phố hà nội'],
      ['Q. Ba Đình, P. Phúc Xá, X. Vân Nội', 'quận ba đình, phường phúc xá, xã vân nội'],
      ['CT UBND xã', 'chủ tịch ủy ban nhân dân xã'],
      ['BCH Đoàn', 'ban chấp hành đoàn'],
      ['UBMTTQ và MTTQ', 'ủy ban mặt trận tổ quốc và mặt trận tổ quốc'],
      ['trường THCS và THPT', 'trường trung học cơ sở và trung học phổ thông'],
      ['lực lượng CSGT', 'lực lượng cảnh sát giao thông'],
      ['công tác PCCC và ATGT', 'công tác phòng cháy chữa cháy và an toàn giao thông'],
      ['phòng chống dịch COVID-19', 'phòng chống dịch cô vít mười chín'],
      ['mạng 4G', 'mạng bốn giê'],
      ['kênh VTV1', 'kênh vê tê vê một'],
      ['xem tại hanoi.gov.vn', 'xem tại hanoi chấm gov chấm vn'],
    ])('%s → %s', (text, spoken) => {
      expect(say(text)).toBe(spoken);
    });

    it('takes operator abbreviations, overriding the built-in ones', () => {
      const abbreviations = { BQL: 'ban quản lý', CT: 'công ty' };
      expect(say('BQL chợ và CT cấp nước', { abbreviations })).toBe('ban quản lý chợ và công ty cấp nước');
      expect(say('CT UBND')).toBe('chủ tịch ủy ban nhân dân');
    });

    it('keeps a documented table operators can read', () => {
      expect(VI_ABBREVIATIONS.UBND).toBe('ủy ban nhân dân');
      expect(Object.values(VI_ABBREVIATIONS).every((v) => v.trim() !== '')).toBe(true);
    });
  });

  describe('punctuation', () => {
    it('turns brackets and dashes into pauses and ends every line as a sentence', () => {
      expect(sut('Kinh tế - xã hội (KT-XH)\nThông báo')).toBe('kinh tế, xã hội, kinh tế xã hội.\nthông báo.');
    });

    it('leaves already spoken text alone apart from case', () => {
      expect(sut('Xin chào bà con, đây là loa phát thanh.')).toBe('xin chào bà con, đây là loa phát thanh.');
    });
  });

  it('reads a real bulletin paragraph (KH 179/KH-UBND) with no digit, slash or capital left', () => {
    const seed = readFileSync(new URL('./fixtures/bulletin-kh179.txt', import.meta.url), 'utf8');
    const paragraph = seed.split('\n').find((l) => l.startsWith('Ngày 07/9/2020')) ?? '';
    expect(paragraph).not.toBe('');
    const spoken = sut(paragraph);
    expect(spoken).toBe(
      'ngày bảy tháng chín năm hai nghìn không trăm hai mươi, ủy ban nhân dân thành phố ban hành kế hoạch số một trăm bảy mươi chín kế hoạch ủy ban nhân dân về nâng cao hiệu quả hoạt động thông tin cơ sở dựa trên ứng dụng công nghệ thông tin trên địa bàn thành phố.',
    );
    const whole = sut(seed);
    expect(whole).not.toMatch(/[0-9/&%]/);
    expect(whole).not.toMatch(/\p{Lu}/u);
    expect(whole).toContain('quyết định số một trăm ba mươi lăm quyết định thủ tướng chính phủ ngày hai mươi tháng một năm hai nghìn không trăm hai mươi');
  });
});

describe(splitForSynthesis.name, () => {
  it('splits at sentence ends, then commas, never inside a word', () => {
    const text = 'một hai ba. bốn năm sáu bảy tám, chín mười mười một. mười hai.';
    const parts = splitForSynthesis(text, 20);
    expect(parts.every((p) => p.length <= 20)).toBe(true);
    expect(parts.join(' ')).toBe(text);
    expect(parts[0]).toBe('một hai ba.');
  });
});
