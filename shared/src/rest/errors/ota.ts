import type { ErrorText } from '../error-codes.js';

/** Issue 20: agent updates over the air (releases and staged rollouts, /api/v1/ota). */
export const OTA_ERRORS = {
  'ota.keys-not-configured': {
    vi: 'Chưa cấu hình khóa phát hành (LOA_OTA_RELEASE_KEYS) nên máy chủ không nhận bản cập nhật nào; hãy đặt khóa công khai của bản phát hành rồi khởi động lại.',
    en: 'No release keys are configured (LOA_OTA_RELEASE_KEYS), so the server accepts no release; set the release public key(s) and restart.',
  },
  'ota.upload-incomplete': {
    vi: 'Cần gửi cả gói cài đặt (trường “package”, .tar.gz) và chữ ký (trường “signature”, .sig).',
    en: 'Send both the package (field “package”, .tar.gz) and its signature (field “signature”, .sig).',
  },
  'ota.package-too-large': { vi: 'Gói cài đặt vượt quá {max} byte.', en: 'The package is larger than {max} bytes.' },
  'ota.signature-invalid-file': { vi: 'Tệp chữ ký không hợp lệ: {detail}', en: 'The signature file is not valid: {detail}' },
  'ota.unknown-key': {
    vi: 'Bản phát hành được ký bằng khóa {kid}, không phải khóa phát hành đã cấu hình.',
    en: 'The release is signed by key {kid}, which is not a configured release key.',
  },
  'ota.bad-signature': { vi: 'Chữ ký của bản phát hành (khóa {kid}) không đúng.', en: 'The release signature (key {kid}) does not verify.' },
  'ota.signature-mismatch': {
    vi: 'Gói cài đặt không khớp với chữ ký (mã băm, kích thước hoặc phiên bản).',
    en: 'The package does not match its signature (hash, size or version).',
  },
  'ota.not-a-package': { vi: 'Tệp tải lên không phải gói cài đặt hợp lệ: {detail}', en: 'The upload is not a valid release package: {detail}' },
  'ota.version-mismatch': {
    vi: 'Phiên bản trong manifest.json ({manifest}) khác phiên bản đã ký ({signed}).',
    en: 'manifest.json says version {manifest} but the signature is for {signed}.',
  },
  'ota.protocol-mismatch': {
    vi: 'Bản phát hành dùng giao thức {protocol}, máy chủ dùng giao thức {expected}.',
    en: 'The release speaks protocol {protocol}; this server speaks {expected}.',
  },
  'ota.duplicate-version': { vi: 'Phiên bản {version} đã được tải lên.', en: 'Version {version} has already been uploaded.' },
  'ota.release-not-found': { vi: 'Không tìm thấy bản phát hành {id}.', en: 'Release {id} not found.' },
  'ota.release-in-use': {
    vi: 'Bản phát hành {version} đang được dùng trong {count} đợt cập nhật nên không xóa được.',
    en: 'Release {version} is used by {count} rollout(s) and cannot be deleted.',
  },
  'ota.rollout-not-found': { vi: 'Không tìm thấy đợt cập nhật {id}.', en: 'Rollout {id} not found.' },
  'ota.rollout-state': {
    vi: 'Đợt cập nhật đang ở trạng thái “{state}”, không thể {action}.',
    en: 'The rollout is {state}; it cannot be {action}.',
  },
  'ota.no-devices': {
    vi: 'Không có thiết bị nào cần cập nhật lên {version} trong phạm vi đã chọn.',
    en: 'No device in the chosen target needs updating to {version}.',
  },
  'ota.update-via-rollout': {
    vi: 'Lệnh cập nhật phần mềm chỉ được gửi qua một đợt cập nhật (Cập nhật phần mềm).',
    en: 'Software updates are sent only through a rollout (Agent updates).',
  },
  'ota.package-not-found': { vi: 'Không có gói cài đặt này cho thiết bị.', en: 'No such package for this device.' },
} as const satisfies Record<string, ErrorText>;
