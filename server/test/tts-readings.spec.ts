import { ttsAutoTitle } from '@loa/shared/rest';
import { applyPronunciations } from '../src/tts/vi-dictionary.js';
import { normalizeVietnamese } from '../src/tts/vi-normalize.js';

/** Normalised text without the sentence-final full stop the normaliser adds. */
const say = (text: string, options?: Parameters<typeof normalizeVietnamese>[1]): string => normalizeVietnamese(text, options).replace(/\.$/, '');

/**
 * Issue 19 item 9: bulletins read as a person reads them. Each row is what an officer typed and exactly what the
 * loudspeaker must say (the heard problems first).
 */
describe('TTS reads bulletins as a person would', () => {
  describe('the problems heard on the loudspeakers', () => {
    it.each<[string, string]>([
      ['Liên hệ 0912.345.678', 'liên hệ không chín một hai, ba bốn năm, sáu bảy tám'],
      ['Sửa chữa QL1A qua xã', 'sửa chữa quốc lộ một a qua xã'],
      ['Hỗ trợ 1.500.000đ/hộ', 'hỗ trợ một triệu năm trăm nghìn đồng mỗi hộ'],
    ])('%s → %s', (typed, spoken) => expect(say(typed)).toBe(spoken));
  });

  describe('telephone numbers: digit by digit, in groups, with pauses', () => {
    it.each<[string, string]>([
      ['gọi 0912.345.678', 'gọi không chín một hai, ba bốn năm, sáu bảy tám'],
      ['gọi 0912 345 678', 'gọi không chín một hai, ba bốn năm, sáu bảy tám'],
      ['gọi 0912-345-678', 'gọi không chín một hai, ba bốn năm, sáu bảy tám'],
      ['gọi 0912345678', 'gọi không chín một hai, ba bốn năm, sáu bảy tám'],
      ['số 0987.65.43.21', 'số không chín tám bảy, sáu năm, bốn ba, hai một'],
      ['ĐT: 024.3825.1234', 'điện thoại: không hai bốn, ba tám hai năm, một hai ba bốn'],
      ['máy bàn 02438251234', 'máy bàn không hai bốn, ba tám hai năm, một hai ba bốn'],
      ['SĐT 0203 123 4567', 'số điện thoại không hai không ba, một hai ba, bốn năm sáu bảy'],
      ['gọi +84 912 345 678', 'gọi cộng tám bốn, chín một hai, ba bốn năm, sáu bảy tám'],
      ['gọi +84912345678', 'gọi cộng tám bốn, chín một hai, ba bốn năm, sáu bảy tám'],
      ['tổng đài 1900 1234', 'tổng đài một chín không không, một hai ba bốn'],
      ['tổng đài 19001234', 'tổng đài một chín không không, một hai ba bốn'],
      ['miễn phí 1800.6868', 'miễn phí một tám không không, sáu tám sáu tám'],
      ['gọi 113', 'gọi một một ba'],
      ['gọi ngay 114', 'gọi ngay một một bốn'],
      ['gọi cấp cứu 115', 'gọi cấp cứu một một năm'],
      ['đường dây nóng: 111', 'đường dây nóng: một một một'],
      // Not telephone numbers: quantities and dates keep their readings.
      ['có 115 hộ', 'có một trăm mười lăm hộ'],
      ['ngày 05.12.2026', 'ngày năm tháng mười hai năm hai nghìn không trăm hai mươi sáu'],
      ['1.234.567 đồng', 'một triệu hai trăm ba mươi tư nghìn năm trăm sáu mươi bảy đồng'],
    ])('%s → %s', (typed, spoken) => expect(say(typed)).toBe(spoken));
  });

  describe('road names', () => {
    it.each<[string, string]>([
      ['QL1A', 'quốc lộ một a'],
      ['QL 14', 'quốc lộ mười bốn'],
      ['QL.1K', 'quốc lộ một ca'],
      ['TL10', 'tỉnh lộ mười'],
      ['ĐT741', 'đường tỉnh bảy trăm bốn mươi mốt'],
      ['ĐT.741B', 'đường tỉnh bảy trăm bốn mươi mốt bê'],
      ['ĐH 5', 'đường huyện năm'],
      ['HL 2', 'hương lộ hai'],
      ['Quốc lộ 1A', 'quốc lộ một a'],
      ['đoạn QL1A - QL14 ngập', 'đoạn quốc lộ một a, quốc lộ mười bốn ngập'],
    ])('%s → %s', (typed, spoken) => expect(say(typed)).toBe(spoken));
  });

  describe('money per unit', () => {
    it.each<[string, string]>([
      ['1.500.000đ/hộ', 'một triệu năm trăm nghìn đồng mỗi hộ'],
      ['1.500.000 đ/hộ', 'một triệu năm trăm nghìn đồng mỗi hộ'],
      ['50.000 đồng/người', 'năm mươi nghìn đồng mỗi người'],
      ['30.000 VNĐ/kg', 'ba mươi nghìn đồng mỗi ki lô gam'],
      ['200.000đ/tháng', 'hai trăm nghìn đồng mỗi tháng'],
      ['2 triệu đồng/hộ', 'hai triệu đồng mỗi hộ'],
      ['50.000 đồng/người/tháng', 'năm mươi nghìn đồng mỗi người mỗi tháng'],
      ['giá 1.250.000đ', 'giá một triệu hai trăm năm mươi nghìn đồng'],
    ])('%s → %s', (typed, spoken) => expect(say(typed)).toBe(spoken));
  });

  describe('percentages, decimal comma and thousands dots', () => {
    it.each<[string, string]>([
      ['tăng 5%', 'tăng năm phần trăm'],
      ['giảm 12,5%', 'giảm mười hai phẩy năm phần trăm'],
      ['tỷ lệ 0,5%', 'tỷ lệ không phẩy năm phần trăm'],
      ['2.500,75 tấn', 'hai nghìn năm trăm phẩy bảy mươi lăm tấn'],
      ['12.000 người', 'mười hai nghìn người'],
    ])('%s → %s', (typed, spoken) => expect(say(typed)).toBe(spoken));
  });

  describe('ranges: "từ … đến …"', () => {
    it.each<[string, string]>([
      ['7-9 giờ', 'từ bảy đến chín giờ'],
      ['từ 7-9 giờ', 'từ bảy đến chín giờ'],
      ['nhiệt độ 20-25°C', 'nhiệt độ từ hai mươi đến hai mươi lăm độ xê'],
      ['1.000-2.000 người', 'từ một nghìn đến hai nghìn người'],
      ['5-10%', 'từ năm đến mười phần trăm'],
      ['6h-8h', 'từ sáu giờ đến tám giờ'],
      ['7h30-9h', 'từ bảy giờ ba mươi phút đến chín giờ'],
      ['7:30-9:00', 'từ bảy giờ ba mươi phút đến chín giờ'],
      ['giai đoạn 2021-2025', 'giai đoạn hai nghìn không trăm hai mươi mốt đến hai nghìn không trăm hai mươi lăm'],
    ])('%s → %s', (typed, spoken) => expect(say(typed)).toBe(spoken));
  });

  describe('times of day and dates', () => {
    it.each<[string, string]>([
      ['lúc 7h30', 'lúc bảy giờ ba mươi phút'],
      ['lúc 07:30', 'lúc bảy giờ ba mươi phút'],
      ['lúc 17g', 'lúc mười bảy giờ'],
      ['17g30', 'mười bảy giờ ba mươi phút'],
      ['17g ngày 5/12', 'mười bảy giờ ngày năm tháng mười hai'],
      ['mua 500g muối', 'mua năm trăm gam muối'],
      ['05/12/2026', 'ngày năm tháng mười hai năm hai nghìn không trăm hai mươi sáu'],
      ['ngày 5/12', 'ngày năm tháng mười hai'],
    ])('%s → %s', (typed, spoken) => expect(say(typed)).toBe(spoken));
  });

  describe('the installation dictionary', () => {
    const dictionary = [
      { term: 'KCN', spoken: 'khu công nghiệp' },
      { term: 'zalo', spoken: 'Da Lô' },
      { term: 'Ea Kar', spoken: 'ê a ca' },
      { term: 'Ea', spoken: 'ê a' },
    ];
    it.each<[string, string]>([
      ['KCN Phú Nghĩa', 'khu công nghiệp phú nghĩa'],
      // Written with capitals, the entry matches only as written: lower-case "kcn" is left as typed.
      ['kcn', 'kcn'],
      ['KCNX', 'ca xê en nờ ích xì'],
      ['nhắn Zalo, ZALO hoặc zalo', 'nhắn da lô, da lô hoặc da lô'],
      ['huyện Ea Kar và xã Ea Sô', 'huyện ê a ca và xã ê a sô'],
    ])('%s → %s', (typed, spoken) => expect(say(typed, { dictionary })).toBe(spoken));

    it('wins over the built-in readings and leaves text alone without entries', () => {
      expect(say('QL1A', { dictionary: [{ term: 'QL1A', spoken: 'đường xuyên Việt' }] })).toBe('đường xuyên việt');
      expect(applyPronunciations('KCN', [])).toBe('KCN');
      expect(applyPronunciations('KCN', undefined)).toBe('KCN');
    });
  });
});

describe(ttsAutoTitle.name, () => {
  it.each<[string, number, string]>([
    ['Thông báo lịch tiêm chủng', 80, 'Thông báo lịch tiêm chủng'],
    ['UBND xã thông báo: ngày 07/9 lúc 14h30 tổ chức tiêm chủng tại trạm y tế xã', 40, 'UBND xã thông báo: ngày 07/9 lúc 14h30…'],
    ['Thông báo về việc tổ chức tiêm chủng mở rộng', 30, 'Thông báo về việc tổ chức…'],
    ['Thông báo,   về việc\n\ndòng hai', 80, 'Thông báo, về việc'],
    ['Thông báo, về việc tổ chức', 12, 'Thông báo…'],
    ['Khôngcókhoảngtrắngnàocả', 10, 'Khôngcókh…'],
  ])('%j at %i → %j', (text, max, title) => {
    const got = ttsAutoTitle(text, max);
    expect(got).toBe(title);
    expect(got.length).toBeLessThanOrEqual(max);
  });

  it('never ends inside a word of the text', () => {
    const text = 'Ủy ban nhân dân xã Phú Nghĩa thông báo lịch cắt điện trên địa bàn các thôn trong tuần tới';
    for (let max = 10; max < text.length; max++) {
      const head = ttsAutoTitle(text, max).replace(/…$/, '');
      expect(text.startsWith(head)).toBe(true);
      expect([' ', ',', undefined]).toContain(text[head.length]);
    }
  });
});
