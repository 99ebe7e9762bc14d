/**
 * Issue 21: the built-in lessons. Plain data (no zod) so the dashboard bundle takes the catalogue as it is. A lesson
 * walks through the real pages in practice mode; its `check` names a verification the server runs against the
 * trainee's sandbox, and `setup` what the sandbox must hold first (a fault on a virtual speaker).
 */
export type TrainingRole = 'admin' | 'operator' | 'approver' | 'commune_officer';

export interface LessonText {
  readonly vi: string;
  readonly en: string;
}

export interface LessonStep {
  /** Dashboard route (hash path) the step happens on; `/device` and `/alert` are detail pages (`/device/<id>`). */
  readonly route: string;
  /** A `data-guide` id (`[data-guide="…"]`) or any CSS selector to highlight; null: nothing to point at. */
  readonly highlight: string | null;
  readonly text: LessonText;
}

/** The server-side verifications; each reads the trainee's sandbox through its API. */
export type LessonCheck =
  /** A schedule created by the trainee targeting its own area, approved, with at least `minFinished` deliveries finished. */
  | { readonly name: 'bulletin-played'; readonly params: { readonly minFinished: number } }
  /** A self-test run by the trainee on the speaker the setup put a fault on, with a result back. */
  | { readonly name: 'fault-self-test'; readonly params: { readonly fault: PracticeFault } }
  /** An alert in the trainee's area, requested by one person and confirmed by another, the trainee being one of them. */
  | { readonly name: 'alert-two-person'; readonly params: Record<string, never> }
  /** A recurring schedule (rrule) created by the trainee on its whole area, active. */
  | { readonly name: 'recurring-area-schedule'; readonly params: { readonly minOccurrences: number } };
export type LessonCheckName = LessonCheck['name'];

export const PRACTICE_FAULTS = ['silence', 'offline', 'no-media'] as const;
export type PracticeFault = (typeof PRACTICE_FAULTS)[number];

export interface LessonSetup {
  /** Faults applied to virtual speakers of the trainee's area (the first `count` speakers by id) before the lesson. */
  readonly faults: ReadonlyArray<{ readonly fault: PracticeFault; readonly count: number }>;
}

export interface Lesson {
  readonly id: string;
  readonly roles: readonly TrainingRole[];
  readonly title: LessonText;
  readonly summary: LessonText;
  readonly minutes: number;
  readonly steps: readonly LessonStep[];
  readonly check: LessonCheck;
  readonly setup: LessonSetup;
}

const NO_SETUP: LessonSetup = { faults: [] };

export const LESSONS: readonly Lesson[] = [
  {
    id: 'send-morning-bulletin',
    roles: ['commune_officer', 'operator', 'admin'],
    title: { vi: 'Gửi bản tin sáng nay tới xã của tôi', en: "Send this morning's bulletin to my commune" },
    summary: {
      vi: 'Soạn bản tin bằng giọng đọc máy (hoặc tải tệp lên), đặt lịch phát cho xã, chờ duyệt và nghe lại kết quả phát.',
      en: 'Make the bulletin with text-to-speech (or upload a file), schedule it for your commune, get it approved and see it played.',
    },
    minutes: 10,
    steps: [
      { route: '/commune', highlight: '[data-testid="announce-form"]', text: { vi: 'Trang xã của bạn: bấm “Phát thông báo” để soạn bản tin.', en: 'Your commune page: press “Announce” to write the bulletin.' } },
      { route: '/commune', highlight: '[data-testid="announce-text"]', text: { vi: 'Gõ nội dung bản tin, bấm “Nghe thử” để nghe giọng đọc máy.', en: 'Type the bulletin and press “Preview” to hear the synthetic voice.' } },
      { route: '/commune', highlight: '[data-testid="announce-at"]', text: { vi: 'Chọn giờ phát hôm nay và xã của bạn làm nơi phát.', en: 'Pick a time today and your commune as the target.' } },
      { route: '/commune', highlight: '[data-testid="announcement-list"]', text: { vi: 'Thông báo chờ người duyệt (trong lớp học, người duyệt của lớp sẽ duyệt); trạng thái hiện ở danh sách này.', en: 'The announcement waits for an approver (in a class, the class approver); its state shows in this list.' } },
      { route: '/deliveries', highlight: '[data-testid="deliveries-page"]', text: { vi: 'Sau giờ phát, xem loa ảo đã phát xong (“Đã phát”). Bấm “Kiểm tra”.', en: 'After the time, see the virtual speakers finished (“Played”). Press “Check”.' } },
    ],
    check: { name: 'bulletin-played', params: { minFinished: 1 } },
    setup: NO_SETUP,
  },
  {
    id: 'silent-speaker',
    roles: ['commune_officer', 'operator', 'admin'],
    title: { vi: 'Kiểm tra vì sao một loa không phát', en: 'Find out why a speaker is silent' },
    summary: {
      vi: 'Một loa ảo trong xã đang lỗi: tìm nó trên trang thiết bị, đọc lý do, chạy tự kiểm tra.',
      en: 'A virtual speaker in your area has a fault: find it on the devices page, read the reason, run the self-test.',
    },
    minutes: 8,
    steps: [
      { route: '/devices', highlight: '[data-testid="device-table"]', text: { vi: 'Tìm loa có trạng thái bất thường trong danh sách.', en: 'Find the speaker with an unusual state in the list.' } },
      { route: '/device', highlight: '[data-testid="device-deliveries"]', text: { vi: 'Mở loa đó, xem “Kết quả phát” và đọc lý do lỗi.', en: 'Open it, look at its results and read the failure reason.' } },
      { route: '/device', highlight: '[data-testid="command-selfTest"]', text: { vi: 'Bấm “Tự kiểm tra” (cán bộ xã: ở thẻ Loa của trang xã) và chờ kết quả, rồi bấm “Kiểm tra”.', en: 'Press “Self-test” (commune officers: on the Speakers tab of the commune page), wait for the result, then press “Check”.' } },
    ],
    check: { name: 'fault-self-test', params: { fault: 'silence' } },
    setup: { faults: [{ fault: 'silence', count: 1 }] },
  },
  {
    id: 'flood-alert-two-person',
    roles: ['approver', 'operator', 'admin'],
    title: { vi: 'Gửi cảnh báo lũ cần người thứ hai', en: 'Send a flood alert that needs a second person' },
    summary: {
      vi: 'Tạo cảnh báo lũ khẩn cấp; người thứ hai xác nhận trước khi loa phát (quy tắc hai người).',
      en: 'Create an emergency flood alert; a second person confirms it before speakers play it (two-person rule).',
    },
    minutes: 10,
    steps: [
      { route: '/alerts', highlight: '[data-testid="alert-form"]', text: { vi: 'Trang Cảnh báo: bấm “Cảnh báo mới”, chọn khu vực của bạn.', en: 'Alerts page: press “New alert” and pick your area.' } },
      { route: '/alerts', highlight: '[data-testid="alert-two-person"]', text: { vi: 'Nhập tiêu đề “Cảnh báo lũ”, gửi yêu cầu xác nhận.', en: 'Title it “Flood alert” and send it for confirmation.' } },
      { route: '/alert', highlight: '[data-testid="alert-confirm"]', text: { vi: 'Người thứ hai (người duyệt của lớp) mở cảnh báo và xác nhận. Rồi bấm “Kiểm tra”.', en: 'The second person (the class approver) opens the alert and confirms it. Then press “Check”.' } },
    ],
    check: { name: 'alert-two-person', params: {} },
    setup: NO_SETUP,
  },
  {
    id: 'district-recurring-schedule',
    roles: ['operator', 'admin'],
    title: { vi: 'Đặt lịch phát định kỳ cho cả huyện', en: 'Set a recurring schedule for the whole district' },
    summary: {
      vi: 'Đặt lịch phát lặp lại hằng ngày cho toàn huyện, xem và xử lý các lịch trùng giờ.',
      en: 'Schedule a daily repeating broadcast for the whole district, see and resolve the conflicts.',
    },
    minutes: 12,
    steps: [
      { route: '/schedules', highlight: '[data-testid="schedule-new"]', text: { vi: 'Trang Lịch phát: bấm “Lịch mới”.', en: 'Schedules page: press “New schedule”.' } },
      { route: '/schedules', highlight: '[data-testid="recurrence-words"]', text: { vi: 'Chọn “Lặp lại hằng ngày” và huyện của bạn làm nơi phát.', en: 'Choose “Repeat daily” and your district as the target.' } },
      { route: '/schedules', highlight: '[data-testid="schedule-save"]', text: { vi: 'Đọc cảnh báo trùng giờ; đổi giờ nếu cần, rồi lưu và bấm “Kiểm tra”.', en: 'Read the conflict notices; move the time if needed, save and press “Check”.' } },
    ],
    check: { name: 'recurring-area-schedule', params: { minOccurrences: 2 } },
    setup: NO_SETUP,
  },
];

export const LESSON_IDS: readonly string[] = LESSONS.map((l) => l.id);

export const lessonById = (id: string): Lesson | undefined => LESSONS.find((l) => l.id === id);

/** The lessons a role is taught, catalogue order. */
export const lessonsForRole = (role: TrainingRole): Lesson[] => LESSONS.filter((l) => l.roles.includes(role));

/** KH 179: every member of staff trained. */
export const TRAINING_TARGET_SHARE = 1;
