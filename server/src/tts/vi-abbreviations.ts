/**
 * Abbreviations read out in full. Keys are matched case-sensitively as whole tokens (not inside a longer word);
 * values are what the loudspeaker says. Operators add or override entries with the JSON setting
 * LOA_TTS_ABBREVIATIONS, e.g. `{"BQL": "ban quản lý", "HTX": "hợp tác xã"}` (see docs/tts.md).
 */
export type AbbreviationTable = Readonly<Record<string, string>>;

/** General abbreviations of administrative and bulletin text. */
export const VI_ABBREVIATIONS: AbbreviationTable = {
  // Authorities and organisations
  UBND: 'ủy ban nhân dân',
  HĐND: 'hội đồng nhân dân',
  UBMTTQ: 'ủy ban mặt trận tổ quốc',
  MTTQ: 'mặt trận tổ quốc',
  BCH: 'ban chấp hành',
  BCĐ: 'ban chỉ đạo',
  BTV: 'ban thường vụ',
  CT: 'chủ tịch',
  PCT: 'phó chủ tịch',
  TW: 'trung ương',
  TƯ: 'trung ương',
  QH: 'quốc hội',
  ĐBQH: 'đại biểu quốc hội',
  CP: 'chính phủ',
  CQNN: 'cơ quan nhà nước',
  HTX: 'hợp tác xã',
  TNHH: 'trách nhiệm hữu hạn',
  CSGT: 'cảnh sát giao thông',
  CAND: 'công an nhân dân',
  QĐND: 'quân đội nhân dân',
  // Documents named without their number ("KH 179/KH-UBND", "theo QĐ này")
  KH: 'kế hoạch',
  QĐ: 'quyết định',
  NQ: 'nghị quyết',
  NĐ: 'nghị định',
  // Places
  TP: 'thành phố',
  HCM: 'Hồ Chí Minh',
  'TP.HCM': 'thành phố Hồ Chí Minh',
  'TP HCM': 'thành phố Hồ Chí Minh',
  VN: 'Việt Nam',
  // Sector and programmes
  'TT&TT': 'thông tin và truyền thông',
  'CNTT&TT': 'công nghệ thông tin và truyền thông',
  'PT&TH': 'phát thanh và truyền hình',
  BTTTT: 'bộ thông tin và truyền thông',
  STTTT: 'sở thông tin và truyền thông',
  TTTT: 'thông tin và truyền thông',
  CNTT: 'công nghệ thông tin',
  CSDL: 'cơ sở dữ liệu',
  DVCTT: 'dịch vụ công trực tuyến',
  VHTT: 'văn hóa thông tin',
  TTCS: 'thông tin cơ sở',
  'KT-XH': 'kinh tế xã hội',
  KTXH: 'kinh tế xã hội',
  // Schools, safety, health
  THCS: 'trung học cơ sở',
  THPT: 'trung học phổ thông',
  PCCC: 'phòng cháy chữa cháy',
  'PCCC&CNCH': 'phòng cháy chữa cháy và cứu nạn cứu hộ',
  CNCH: 'cứu nạn cứu hộ',
  ATGT: 'an toàn giao thông',
  ATTP: 'an toàn thực phẩm',
  PCTT: 'phòng chống thiên tai',
  'PCTT&TKCN': 'phòng chống thiên tai và tìm kiếm cứu nạn',
  TKCN: 'tìm kiếm cứu nạn',
  BHYT: 'bảo hiểm y tế',
  BHXH: 'bảo hiểm xã hội',
  CCCD: 'căn cước công dân',
  CMND: 'chứng minh nhân dân',
  'COVID-19': 'cô vít mười chín',
  COVID: 'cô vít',
  'SARS-CoV-2': 'sát cô vi hai',
  WHO: 'tổ chức y tế thế giới',
  // Words
  'v.v.': 'vân vân',
  'v.v': 'vân vân',
  ASEAN: 'a xê an',
  '3G': 'ba giê',
  '4G': 'bốn giê',
  '5G': 'năm giê',
  // Contact details ("SĐT: 0912…", "ĐT 024…"); "ĐT" before a road number is a provincial road (VI_ROAD_PREFIXES).
  SĐT: 'số điện thoại',
  ĐT: 'điện thoại',
  ĐTDĐ: 'điện thoại di động',
};

/**
 * Road classes before a road number: "QL1A" is "quốc lộ một a", never letters spelled out. Read only when a number
 * follows (the rule in vi-normalize), so "ĐT" alone stays "điện thoại".
 */
export const VI_ROAD_PREFIXES: AbbreviationTable = {
  QL: 'quốc lộ',
  TL: 'tỉnh lộ',
  ĐT: 'đường tỉnh',
  ĐH: 'đường huyện',
  HL: 'hương lộ',
  ĐX: 'đường xã',
  ĐCT: 'đường cao tốc',
};

/**
 * The parts of a document number ("135/QĐ-TTg", "179/KH-UBND", "77/2012/NĐ-CP", "3814-QĐ/TU"): the kind of
 * document and the issuing body. Read in place of the general table there: "CT" is a directive (chỉ thị) in
 * "05/CT-TTg" but a chairman (chủ tịch) elsewhere.
 */
export const VI_DOCUMENT_PARTS: AbbreviationTable = {
  QĐ: 'quyết định',
  KH: 'kế hoạch',
  NQ: 'nghị quyết',
  NĐ: 'nghị định',
  CT: 'chỉ thị',
  CTr: 'chương trình',
  TT: 'thông tư',
  TB: 'thông báo',
  BC: 'báo cáo',
  CV: 'công văn',
  HD: 'hướng dẫn',
  KL: 'kết luận',
  QC: 'quy chế',
  TTr: 'tờ trình',
  L: 'luật',
  PL: 'pháp lệnh',
  TTg: 'thủ tướng chính phủ',
  CP: 'chính phủ',
  UBND: 'ủy ban nhân dân',
  HĐND: 'hội đồng nhân dân',
  BTTTT: 'bộ thông tin và truyền thông',
  STTTT: 'sở thông tin và truyền thông',
  TU: 'thành ủy',
  TW: 'trung ương',
  QH: 'quốc hội',
  VPCP: 'văn phòng chính phủ',
  BCT: 'bộ chính trị',
  UBTVQH: 'ủy ban thường vụ quốc hội',
  BYT: 'bộ y tế',
  BCA: 'bộ công an',
  BTC: 'bộ tài chính',
  MTTQ: 'mặt trận tổ quốc',
};

/**
 * Administrative prefixes with a full stop, read only when a capitalised name follows ("TP. Hà Nội",
 * "Q. Ba Đình", "P. Phúc Xá", "X. Vân Nội", "H. Đông Anh", "TX. Sơn Tây", "TT. Đông Anh").
 */
export const VI_PLACE_PREFIXES: AbbreviationTable = {
  TP: 'thành phố',
  TX: 'thị xã',
  TT: 'thị trấn',
  Q: 'quận',
  P: 'phường',
  X: 'xã',
  H: 'huyện',
};

/** Units read after a number ("5 km", "30°C", "1.250.000đ"). Longest first when matching. */
export const VI_UNITS: AbbreviationTable = {
  'km/h': 'ki lô mét trên giờ',
  'km²': 'ki lô mét vuông',
  km2: 'ki lô mét vuông',
  'm²': 'mét vuông',
  m2: 'mét vuông',
  'm³': 'mét khối',
  m3: 'mét khối',
  km: 'ki lô mét',
  cm: 'xen ti mét',
  mm: 'mi li mét',
  m: 'mét',
  kg: 'ki lô gam',
  g: 'gam',
  ha: 'héc ta',
  '%': 'phần trăm',
  '°C': 'độ xê',
  '°': 'độ',
  độ: 'độ',
  đ: 'đồng',
  VNĐ: 'đồng',
  VND: 'đồng',
  đồng: 'đồng',
  USD: 'đô la mỹ',
  $: 'đô la',
  kWh: 'ki lô oát giờ',
  kW: 'ki lô oát',
  MW: 'mê ga oát',
  l: 'lít',
  ml: 'mi li lít',
  MB: 'mê ga bai',
  GB: 'gi ga bai',
  Mbps: 'mê ga bít trên giây',
};

/** Vietnamese names of Latin letters, for spelling out an acronym the tables do not know ("VTV" → "vê tê vê"). */
export const VI_LETTER_NAMES: AbbreviationTable = {
  A: 'a', B: 'bê', C: 'xê', D: 'dê', Đ: 'đê', E: 'e', F: 'ép', G: 'giê', H: 'hát', I: 'i', J: 'gi', K: 'ca',
  L: 'e lờ', M: 'em mờ', N: 'en nờ', O: 'o', P: 'pê', Q: 'quy', R: 'e rờ', S: 'ét', T: 'tê', U: 'u', V: 'vê',
  W: 'vê kép', X: 'ích xì', Y: 'i dài', Z: 'dét',
};
