import { useState } from 'preact/hooks';
import type {
  ContentView,
  ExchangeDetail,
  ExchangePage,
  ExchangeState,
  ExchangeView,
  InboundExchangeView,
  LowerLevelsView,
  RemoteResultView,
  PeerAuthInput,
  PeerPull,
  PeerPush,
  SourcePeerCreated,
  SourcePeerView,
} from '@loa/shared/rest';
import { EXCHANGE_KINDS, EXCHANGE_STATES } from '@loa/shared/rest';
import type { PageProps } from '../app.js';
import { del, get, patch, post } from '../api.js';
import { fmtDateTime, fromLocalInput, toLocalInput } from '../format.js';
import { DateTimeField, TimeField } from '../components/date-time-field.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { ActionButton, Badge, Empty, ErrorBox, Field, Loading, Modal, PageHeader, useAsync, type Tone } from '../ui.js';

const S = defineStrings({
  vi: {
    title: 'Kết nối hệ thống nguồn',
    intro: 'Trao đổi với hệ thống thông tin nguồn và với các máy chủ Loa cấp trên, cấp dưới. Mọi trao đổi đi qua hàng đợi: gửi lại khi lỗi, không gửi trùng.',
    tabExchanges: 'Gửi đi',
    tabInbound: 'Nhận về',
    in_received: 'Đã nhận',
    in_fetching: 'Đang tải âm thanh',
    in_queued: 'Vào hàng chờ duyệt',
    in_failed: 'Lỗi',
    in_stored: 'Đã lưu',
    receivedAt: 'Nhận lúc',
    tabPeers: 'Hệ thống kết nối',
    tabLower: 'Kết quả từ cấp dưới',
    lowerIntro: 'Bản tin ta gửi xuống và kết quả phát các cấp dưới báo về (tách riêng khỏi độ phủ của thiết bị ta).',
    bulletin: 'Bản tin',
    played: 'Đã phát',
    lowerPeer: 'Cấp dưới',
    playedOf: 'Đã phát {played}/{due}',
    failedN: 'Lỗi',
    resultStatus: 'Trạng thái',
    lastReport: 'Báo về lúc',
    total: 'Tổng',
    rs_received: 'Chờ duyệt',
    rs_approved: 'Đã duyệt',
    rs_rejected: 'Bị từ chối',
    rs_scheduled: 'Đã lên lịch',
    rs_expired: 'Hết hiệu lực',
    peer: 'Hệ thống',
    allPeers: 'Mọi hệ thống',
    state: 'Trạng thái',
    allStates: 'Mọi trạng thái',
    kind: 'Loại',
    allKinds: 'Mọi loại',
    direction: 'Chiều',
    out: 'Gửi đi',
    in: 'Nhận về',
    created: 'Tạo lúc',
    attempts: 'Lần gửi',
    error: 'Lỗi',
    nextAttempt: 'Gửi lại lúc',
    sentAt: 'Đã gửi lúc',
    retry: 'Gửi lại ngay',
    more: 'Xem thêm',
    payload: 'Nội dung trao đổi',
    key: 'Mã chống trùng',
    remoteRef: 'Mã bên nhận',
    st_pending: 'Chờ gửi',
    st_sending: 'Đang gửi',
    st_sent: 'Đã gửi',
    st_failed: 'Lỗi, sẽ gửi lại',
    st_dead: 'Ngừng gửi',
    k_bulletin: 'Bản tin',
    k_schedule: 'Lịch phát',
    'k_playout-log': 'Nhật ký phát',
    k_coverage: 'Tỷ lệ phủ sóng',
    k_inventory: 'Danh mục thiết bị',
    'k_feedback-stats': 'Thống kê phản ánh',
    'k_bulletin-result': 'Kết quả phát bản tin',
    addPeer: 'Thêm hệ thống',
    editPeer: 'Sửa: {name}',
    name: 'Tên',
    peerKind: 'Kiểu kết nối',
    kind_loa: 'Loa ↔ Loa (giao thức Loa)',
    kind_rest: 'REST (cấu hình theo mẫu)',
    role: 'Cấp',
    role_upper: 'Cấp trên (gửi lên, nhận bản tin)',
    role_lower: 'Cấp dưới (gửi bản tin xuống, nhận kết quả)',
    baseUrl: 'Địa chỉ (URL gốc)',
    enabled: 'Đang hoạt động',
    disabled: 'Tạm dừng',
    remotePeerId: 'Mã của ta tại hệ thống kia',
    outboundSecret: 'Khóa bí mật do hệ thống kia cấp (để ký)',
    secretKept: 'Để trống để giữ khóa hiện tại',
    auth: 'Xác thực',
    auth_none: 'Không',
    'auth_api-key': 'Khóa API',
    auth_basic: 'HTTP Basic',
    auth_oauth2: 'OAuth2 (client credentials)',
    header: 'Tên header',
    apiKey: 'Khóa API',
    username: 'Tên đăng nhập',
    password: 'Mật khẩu',
    tokenUrl: 'URL lấy token',
    clientId: 'Client ID',
    clientSecret: 'Client secret',
    scope: 'Phạm vi (scope)',
    clientAuth: 'Cách gửi thông tin máy khách',
    clientAuth_basic: 'Trong tiêu đề Authorization (client_secret_basic)',
    clientAuth_post: 'Trong nội dung biểu mẫu (client_secret_post)',
    push: 'Gửi lên',
    pushBulletins: 'Bản tin khi được duyệt',
    pushSchedules: 'Lịch phát khi tạo, sửa',
    pushPlayout: 'Nhật ký phát hôm trước (hằng ngày)',
    pushCoverage: 'Tỷ lệ phát thông tin tới người dân hôm trước (hằng ngày)',
    pushInventory: 'Danh mục, trạng thái thiết bị (hằng ngày)',
    pushFeedbackStats: 'Thống kê ý kiến người dân theo xã (hằng ngày, không có thông tin cá nhân)',
    dailyAt: 'Giờ gửi hằng ngày (giờ Việt Nam)',
    templates: 'Mẫu ánh xạ theo loại (JSON)',
    templatesHint: 'Ví dụ: {"bulletin": {"method": "POST", "path": "/api/ban-tin", "body": "{\\"tieuDe\\": \\"{{payload.title}}\\"}", "refPath": "data.id"}}',
    pull: 'Nhận bản tin',
    pull_none: 'Không',
    pull_webhook: 'Hệ thống kia gửi tới (webhook có ký)',
    pull_poll: 'Định kỳ lấy về (polling)',
    pollUrl: 'Đường dẫn danh sách bản tin',
    pollEvery: 'Chu kỳ (giây)',
    mapping: 'Ánh xạ trường (JSON)',
    timeout: 'Thời gian chờ mỗi yêu cầu (ms)',
    badJson: '{field}: JSON không hợp lệ',
    secretOnce: 'Khóa bí mật để hệ thống kia ký khi gửi tới ta. Chỉ hiển thị một lần: hãy sao chép và gửi cho quản trị viên bên kia.',
    peerId: 'Mã hệ thống này (bên kia dùng làm mã của họ tại ta)',
    rotate: 'Cấp khóa bí mật mới',
    remove: 'Xóa',
    confirmRemove: 'Xóa {name} cùng toàn bộ hàng đợi trao đổi của nó?',
    sendDown: 'Gửi bản tin xuống',
    sendTitle: 'Gửi bản tin xuống {name}',
    content: 'Nội dung đã duyệt',
    pickContent: '— Chọn nội dung —',
    areaCodes: 'Mã địa bàn nhận (cách nhau bởi dấu phẩy; để trống: toàn bộ)',
    priority: 'Mức ưu tiên',
    p_normal: 'Thường',
    p_priority: 'Ưu tiên',
    p_emergency: 'Khẩn cấp',
    validFrom: 'Hiệu lực từ',
    validUntil: 'Hiệu lực đến',
    send: 'Gửi',
    queued: 'Đã đưa vào hàng đợi gửi.',
    counts: '{sent} đã gửi · {failed} lỗi · {dead} ngừng',
    copy: 'Sao chép',
  },
  en: {
    title: 'Source system link',
    intro: 'Exchanges with the source information system and with Loa servers above and below. Everything goes through a queue: retried on failure, never sent twice.',
    tabExchanges: 'Sent',
    tabInbound: 'Received',
    in_received: 'Received',
    in_fetching: 'Fetching audio',
    in_queued: 'In the approval queue',
    in_failed: 'Failed',
    in_stored: 'Stored',
    receivedAt: 'Received',
    tabPeers: 'Peers',
    tabLower: 'Results from lower levels',
    lowerIntro: 'Bulletins we sent down and the playback results lower levels reported (apart from our own devices’ coverage).',
    bulletin: 'Bulletin',
    played: 'Played',
    lowerPeer: 'Lower level',
    playedOf: 'Played {played} of {due}',
    failedN: 'Failed',
    resultStatus: 'Status',
    lastReport: 'Reported at',
    total: 'Total',
    rs_received: 'Awaiting approval',
    rs_approved: 'Approved',
    rs_rejected: 'Rejected',
    rs_scheduled: 'Scheduled',
    rs_expired: 'Expired',
    peer: 'Peer',
    allPeers: 'All peers',
    state: 'State',
    allStates: 'All states',
    kind: 'Kind',
    allKinds: 'All kinds',
    direction: 'Direction',
    out: 'Out',
    in: 'In',
    created: 'Created',
    attempts: 'Attempts',
    error: 'Error',
    nextAttempt: 'Next attempt',
    sentAt: 'Sent',
    retry: 'Retry now',
    more: 'More',
    payload: 'Payload',
    key: 'Idempotency key',
    remoteRef: 'Remote ref',
    st_pending: 'Pending',
    st_sending: 'Sending',
    st_sent: 'Sent',
    st_failed: 'Failed, will retry',
    st_dead: 'Dead',
    k_bulletin: 'Bulletin',
    k_schedule: 'Schedule',
    'k_playout-log': 'Playout log',
    k_coverage: 'Coverage',
    k_inventory: 'Device inventory',
    'k_feedback-stats': 'Feedback statistics',
    'k_bulletin-result': 'Bulletin results',
    addPeer: 'Add peer',
    editPeer: 'Edit: {name}',
    name: 'Name',
    peerKind: 'Protocol',
    kind_loa: 'Loa ↔ Loa (Loa protocol)',
    kind_rest: 'REST (templates)',
    role: 'Level',
    role_upper: 'Upper (we send up, accept bulletins)',
    role_lower: 'Lower (we send bulletins down, accept results)',
    baseUrl: 'Base URL',
    enabled: 'Enabled',
    disabled: 'Paused',
    remotePeerId: 'Our id at the peer',
    outboundSecret: 'Secret the peer gave us (to sign)',
    secretKept: 'Leave empty to keep the current one',
    auth: 'Authentication',
    auth_none: 'None',
    'auth_api-key': 'API key',
    auth_basic: 'HTTP Basic',
    auth_oauth2: 'OAuth2 (client credentials)',
    header: 'Header name',
    apiKey: 'API key',
    username: 'Username',
    password: 'Password',
    tokenUrl: 'Token URL',
    clientId: 'Client ID',
    clientSecret: 'Client secret',
    scope: 'Scope',
    clientAuth: 'Client credentials sent',
    clientAuth_basic: 'In the Authorization header (client_secret_basic)',
    clientAuth_post: 'In the form body (client_secret_post)',
    push: 'Push up',
    pushBulletins: 'Bulletins when approved',
    pushSchedules: 'Schedules when created or changed',
    pushPlayout: "Yesterday's playout log (daily)",
    pushCoverage: "Yesterday's coverage (daily)",
    pushInventory: 'Device inventory and status (daily)',
    pushFeedbackStats: 'Residents’ feedback statistics per commune (daily, no personal data)',
    dailyAt: 'Daily at (Vietnam time)',
    templates: 'Mapping templates per kind (JSON)',
    templatesHint: 'E.g. {"bulletin": {"method": "POST", "path": "/api/bulletins", "body": "{\\"title\\": \\"{{payload.title}}\\"}", "refPath": "data.id"}}',
    pull: 'Bulletins from it',
    pull_none: 'None',
    pull_webhook: 'It sends them to us (signed webhook)',
    pull_poll: 'We poll for them',
    pollUrl: 'Path of the bulletin list',
    pollEvery: 'Every (seconds)',
    mapping: 'Field mapping (JSON)',
    timeout: 'Request time limit (ms)',
    badJson: '{field}: not valid JSON',
    secretOnce: 'The secret the peer signs with when sending to us. Shown once: copy it and give it to the peer’s admin.',
    peerId: 'This peer’s id (the peer uses it as its id here)',
    rotate: 'New secret',
    remove: 'Remove',
    confirmRemove: 'Remove {name} and its whole exchange queue?',
    sendDown: 'Send a bulletin down',
    sendTitle: 'Send a bulletin down to {name}',
    content: 'Approved content',
    pickContent: '— Pick a content —',
    areaCodes: 'Area codes at the receiver (comma separated; empty: all)',
    priority: 'Priority',
    p_normal: 'Normal',
    p_priority: 'Priority',
    p_emergency: 'Emergency',
    validFrom: 'Valid from',
    validUntil: 'Valid until',
    send: 'Send',
    queued: 'Queued for sending.',
    counts: '{sent} sent · {failed} failed · {dead} dead',
    copy: 'Copy',
  },
});

type T = ReturnType<typeof useT<keyof (typeof S)['vi']>>;

const STATE_TONE: Record<ExchangeState, Tone> = { pending: 'muted', sending: 'info', sent: 'ok', failed: 'warn', dead: 'bad' };

const value = (e: Event): string => (e.target as HTMLInputElement).value;

export function SourceSystemPage({ session }: PageProps) {
  const t = useT(S);
  const admin = session.user.role === 'admin';
  const [tab, setTab] = useState<'exchanges' | 'inbound' | 'lower' | 'peers'>('exchanges');
  const peers = useAsync(() => (admin ? get<SourcePeerView[]>('/api/v1/source-system/peers') : Promise.resolve([] as SourcePeerView[])), [admin]);
  return (
    <div>
      <PageHeader title={t('title')} />
      <p class="muted">{t('intro')}</p>
      <div class="filters" role="tablist">
        <button type="button" class={tab === 'exchanges' ? '' : 'ghost'} onClick={() => setTab('exchanges')} data-testid="source-tab-exchanges">
          {t('tabExchanges')}
        </button>
        <button type="button" class={tab === 'inbound' ? '' : 'ghost'} onClick={() => setTab('inbound')} data-testid="source-tab-inbound">
          {t('tabInbound')}
        </button>
        <button type="button" class={tab === 'lower' ? '' : 'ghost'} onClick={() => setTab('lower')} data-testid="source-tab-lower">
          {t('tabLower')}
        </button>
        {admin && (
          <button type="button" class={tab === 'peers' ? '' : 'ghost'} onClick={() => setTab('peers')} data-testid="source-tab-peers">
            {t('tabPeers')}
          </button>
        )}
      </div>
      {tab === 'exchanges' && <Exchanges t={t} admin={admin} peers={peers.data ?? []} />}
      {tab === 'inbound' && <Inbound t={t} />}
      {tab === 'lower' && <LowerLevels t={t} />}
      {tab === 'peers' && admin && <Peers t={t} peers={peers.data} error={peers.error} loading={peers.loading} reload={peers.reload} />}
    </div>
  );
}

function Exchanges({ t, admin, peers }: { t: T; admin: boolean; peers: SourcePeerView[] }) {
  const [state, setState] = useState('');
  const [kind, setKind] = useState('');
  const [peerId, setPeerId] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const [extra, setExtra] = useState<{ items: ExchangeView[]; next: string | null } | null>(null);
  const list = useAsync(() => {
    setExtra(null);
    return get<ExchangePage>('/api/v1/source-system/exchanges', { state, kind, peerId, limit: 50 });
  }, [state, kind, peerId]);
  const items = [...(list.data?.items ?? []), ...(extra?.items ?? [])];
  const next = extra ? extra.next : (list.data?.nextCursor ?? null);
  const more = async () => {
    const page = await get<ExchangePage>('/api/v1/source-system/exchanges', { state, kind, peerId, limit: 50, cursor: next });
    setExtra({ items: [...(extra?.items ?? []), ...page.items], next: page.nextCursor });
  };
  return (
    <div>
      <div class="filters">
        <Field label={t('state')}>
          <select value={state} onChange={(e) => setState(value(e))} data-testid="source-filter-state">
            <option value="">{t('allStates')}</option>
            {EXCHANGE_STATES.map((s) => (
              <option key={s} value={s}>
                {t(`st_${s}`)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('kind')}>
          <select value={kind} onChange={(e) => setKind(value(e))}>
            <option value="">{t('allKinds')}</option>
            {EXCHANGE_KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`k_${k}`)}
              </option>
            ))}
          </select>
        </Field>
        {peers.length > 0 && (
          <Field label={t('peer')}>
            <select value={peerId} onChange={(e) => setPeerId(value(e))}>
              <option value="">{t('allPeers')}</option>
              {peers.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </Field>
        )}
      </div>
      <ErrorBox error={list.error} />
      <Loading when={list.loading && !list.data} />
      <Empty when={!list.loading && items.length === 0} />
      {items.length > 0 && (
        <div class="table-wrap">
          <table data-testid="source-exchanges">
            <thead>
              <tr>
                <th>{t('created')}</th>
                <th>{t('peer')}</th>
                <th>{t('kind')}</th>
                <th>{t('state')}</th>
                <th>{t('attempts')}</th>
                <th>{t('error')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {items.map((x) => (
                <>
                  <tr key={x.id} data-exchange={x.id} data-state={x.state} data-attempts={x.attempts}>
                    <td>
                      <button type="button" class="link" onClick={() => setOpen(open === x.id ? null : x.id)} title={x.idempotencyKey}>
                        {fmtDateTime(x.createdAt)}
                      </button>
                    </td>
                    <td>
                      {x.peerName ?? x.peerId} <span class="muted">{x.direction === 'out' ? '↑' : '↓'}</span>
                    </td>
                    <td>{t(`k_${x.kind}`)}</td>
                    <td>
                      <Badge tone={STATE_TONE[x.state]}>{t(`st_${x.state}`)}</Badge>
                      {x.state === 'failed' && x.nextAttemptAt && <div class="muted small">{t('nextAttempt')}: {fmtDateTime(x.nextAttemptAt)}</div>}
                      {x.state === 'sent' && x.sentAt && <div class="muted small">{fmtDateTime(x.sentAt)}</div>}
                    </td>
                    <td>{x.attempts}</td>
                    <td class="small" style={{ maxWidth: '22rem', overflowWrap: 'anywhere' }} data-testid="source-exchange-error">
                      {x.lastError ?? ''}
                    </td>
                    <td>
                      {admin && (x.state === 'failed' || x.state === 'dead') && x.direction === 'out' && (
                        <ActionButton onClick={() => post(`/api/v1/source-system/exchanges/${x.id}/retry`).then(list.reload)} data-testid="source-retry">
                          {t('retry')}
                        </ActionButton>
                      )}
                    </td>
                  </tr>
                  {open === x.id && (
                    <tr key={`${x.id}-detail`}>
                      <td colSpan={7}>
                        <ExchangeDetails t={t} id={x.id} />
                      </td>
                    </tr>
                  )}
                </>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {next && <ActionButton onClick={more}>{t('more')}</ActionButton>}
    </div>
  );
}

const RESULT_TONE: Record<RemoteResultView['status'], Tone> = { received: 'muted', approved: 'info', scheduled: 'ok', rejected: 'bad', expired: 'warn' };
/** How many of our most recent bulletins the section shows. */
const LOWER_BULLETINS = 30;

/**
 * At an upper Loa: per bulletin we sent down, what each lower level reported. The bulletins are found from every
 * lower peer's results (counts only, `GET …/results?rows=false`); each one's line is the server's `lower-levels`
 * view (per peer and the sum).
 */
function LowerLevels({ t }: { t: T }) {
  const data = useAsync(async () => {
    // Every lower peer's latest results (counts only); operators may read these, not the peers themselves.
    const all = await get<RemoteResultView[]>('/api/v1/source-system/results', { rows: 'false' });
    const latest = new Map<string, string>();
    for (const r of all) if ((latest.get(r.originId) ?? '') < r.receivedAt) latest.set(r.originId, r.receivedAt);
    const origins = [...latest.entries()].sort((a, b) => (a[1] < b[1] ? 1 : -1)).slice(0, LOWER_BULLETINS).map(([id]) => id);
    const titles = new Map((await get<ContentView[]>('/api/v1/contents').catch(() => [] as ContentView[])).map((c) => [c.id, c.title]));
    const lines = await Promise.all(origins.map((originId) => get<LowerLevelsView>('/api/v1/source-system/lower-levels', { originId })));
    return lines.map((l) => ({ ...l, title: titles.get(l.originId) ?? null }));
  }, []);
  const lines = data.data ?? [];
  return (
    <div>
      <p class="muted small">{t('lowerIntro')}</p>
      <ErrorBox error={data.error} />
      <Loading when={data.loading && !data.data} />
      <Empty when={!data.loading && lines.length === 0} />
      {lines.length > 0 && (
        <div class="table-wrap">
          <table data-testid="source-lower-levels">
            <thead>
              <tr>
                <th>{t('bulletin')}</th>
                <th>{t('lowerPeer')}</th>
                <th>{t('played')}</th>
                <th>{t('failedN')}</th>
                <th>{t('resultStatus')}</th>
                <th>{t('lastReport')}</th>
              </tr>
            </thead>
            <tbody>
              {lines.map((l) => (
                <>
                  {l.peers.map((p, i) => (
                    <tr key={`${l.originId}-${p.peerId}`} data-origin={l.originId} data-peer={p.peerId} data-played={p.played} data-due={p.due} data-status={p.status}>
                      {i === 0 && (
                        <td rowSpan={l.peers.length + (l.peers.length > 1 ? 1 : 0)}>
                          <strong>{l.title ?? l.originId}</strong>
                          {l.title && <div class="muted small"><code>{l.originId}</code></div>}
                        </td>
                      )}
                      <td>{p.peerName ?? p.peerId}</td>
                      <td>{t('playedOf', { played: p.played, due: p.due })}</td>
                      <td>{p.failed}</td>
                      <td>
                        <Badge tone={RESULT_TONE[p.status]}>{t(`rs_${p.status}`)}</Badge>
                      </td>
                      <td>{fmtDateTime(p.sentAt)}</td>
                    </tr>
                  ))}
                  {l.peers.length > 1 && (
                    <tr key={`${l.originId}-total`} data-origin={l.originId} data-total>
                      <td>
                        <em>{t('total')}</em>
                      </td>
                      <td>{t('playedOf', { played: l.played, due: l.due })}</td>
                      <td>{l.failed}</td>
                      <td colSpan={2} />
                    </tr>
                  )}
                </>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

const INBOUND_TONE: Record<InboundExchangeView['state'], Tone> = { received: 'muted', fetching: 'info', queued: 'ok', failed: 'bad', stored: 'ok' };

/** What peers sent us (the receiving side's list). */
function Inbound({ t }: { t: T }) {
  const list = useAsync(() => get<InboundExchangeView[]>('/api/v1/source-system/inbound', { limit: 200 }), []);
  const rows = list.data ?? [];
  return (
    <div>
      <ErrorBox error={list.error} />
      <Loading when={list.loading && !list.data} />
      <Empty when={!list.loading && rows.length === 0} />
      {rows.length > 0 && (
        <div class="table-wrap">
          <table data-testid="source-inbound">
            <thead>
              <tr>
                <th>{t('receivedAt')}</th>
                <th>{t('peer')}</th>
                <th>{t('kind')}</th>
                <th>{t('state')}</th>
                <th>{t('attempts')}</th>
                <th>{t('error')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((x) => (
                <tr key={x.id} data-inbound={x.id} data-kind={x.kind} data-state={x.state}>
                  <td title={x.idempotencyKey}>{fmtDateTime(x.receivedAt)}</td>
                  <td>{x.peerName ?? x.peerId}</td>
                  <td>{(EXCHANGE_KINDS as readonly string[]).includes(x.kind) ? t(`k_${x.kind as (typeof EXCHANGE_KINDS)[number]}`) : x.kind}</td>
                  <td>
                    <Badge tone={INBOUND_TONE[x.state]}>{t(`in_${x.state}`)}</Badge>
                  </td>
                  <td>{x.attempts}</td>
                  <td class="small" style={{ maxWidth: '22rem', overflowWrap: 'anywhere' }}>
                    {x.error ?? ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function ExchangeDetails({ t, id }: { t: T; id: string }) {
  const d = useAsync(() => get<ExchangeDetail>(`/api/v1/source-system/exchanges/${id}`), [id]);
  if (d.error) return <ErrorBox error={d.error} />;
  if (!d.data) return <Loading when />;
  return (
    <div class="small">
      <div>
        {t('key')}: <code>{d.data.idempotencyKey}</code>
      </div>
      {d.data.remoteRef && (
        <div>
          {t('remoteRef')}: <code>{d.data.remoteRef}</code>
        </div>
      )}
      <div>{t('payload')}:</div>
      <pre style={{ maxHeight: '20rem', overflow: 'auto', whiteSpace: 'pre-wrap' }}>{JSON.stringify(d.data.payload, null, 2)}</pre>
    </div>
  );
}

function Peers({ t, peers, error, loading, reload }: { t: T; peers: SourcePeerView[] | undefined; error: Error | undefined; loading: boolean; reload: () => void }) {
  const [editing, setEditing] = useState<SourcePeerView | 'new' | null>(null);
  const [sending, setSending] = useState<SourcePeerView | null>(null);
  const [secret, setSecret] = useState<SourcePeerCreated | null>(null);
  const saved = (p: SourcePeerView | SourcePeerCreated) => {
    setEditing(null);
    if ('inboundSecret' in p) setSecret(p);
    reload();
  };
  return (
    <div>
      <div class="filters">
        <button type="button" onClick={() => setEditing('new')} data-testid="source-add-peer">
          {t('addPeer')}
        </button>
      </div>
      <ErrorBox error={error} />
      <Loading when={loading && !peers} />
      <Empty when={!loading && (peers ?? []).length === 0} />
      <div class="cards">
        {(peers ?? []).map((p) => (
          <div class="card" key={p.id} data-peer={p.id}>
            <strong>{p.name}</strong> {!p.enabled && <Badge tone="muted">{t('disabled')}</Badge>}
            <div class="muted small">
              {t(`kind_${p.kind}`)} · {t(`role_${p.role}`)}
            </div>
            <div class="small" style={{ overflowWrap: 'anywhere' }}>
              {p.baseUrl}
            </div>
            <div class="small">{t('counts', { sent: p.counts.sent ?? 0, failed: p.counts.failed ?? 0, dead: p.counts.dead ?? 0 })}</div>
            <div class="row-inline" style={{ marginTop: '.5rem', flexWrap: 'wrap' }}>
              <button type="button" class="ghost" onClick={() => setEditing(p)}>
                {t('editPeer', { name: '' }).replace(/:\s*$/, '')}
              </button>
              {p.role === 'lower' && (
                <button type="button" class="ghost" onClick={() => setSending(p)} data-testid="source-send-down">
                  {t('sendDown')}
                </button>
              )}
              <ActionButton class="ghost" onClick={() => patch<SourcePeerCreated>(`/api/v1/source-system/peers/${p.id}`, { rotateInboundSecret: true }).then(saved)}>
                {t('rotate')}
              </ActionButton>
              <ActionButton
                class="ghost danger"
                onClick={async () => {
                  if (!confirm(t('confirmRemove', { name: p.name }))) return;
                  await del(`/api/v1/source-system/peers/${p.id}`);
                  reload();
                }}
              >
                {t('remove')}
              </ActionButton>
            </div>
          </div>
        ))}
      </div>
      {editing && <PeerForm t={t} peer={editing === 'new' ? null : editing} onClose={() => setEditing(null)} onSaved={saved} />}
      {sending && <SendDown t={t} peer={sending} onClose={() => setSending(null)} />}
      {secret && (
        <Modal title={secret.name} onClose={() => setSecret(null)}>
          <p>{t('secretOnce')}</p>
          <Field label={t('peerId')}>
            <input readOnly value={secret.id} data-testid="source-peer-id" />
          </Field>
          <Field label={t('outboundSecret')}>
            <input readOnly value={secret.inboundSecret} data-testid="source-secret" onFocus={(e) => (e.target as HTMLInputElement).select()} />
          </Field>
          <button type="button" onClick={() => void navigator.clipboard?.writeText(secret.inboundSecret)}>
            {t('copy')}
          </button>
        </Modal>
      )}
    </div>
  );
}

function PeerForm({ t, peer, onClose, onSaved }: { t: T; peer: SourcePeerView | null; onClose: () => void; onSaved: (p: SourcePeerView | SourcePeerCreated) => void }) {
  const c = useCommon();
  const [name, setName] = useState(peer?.name ?? '');
  const [kind, setKind] = useState<'loa' | 'rest'>(peer?.kind ?? 'loa');
  const [role, setRole] = useState<'upper' | 'lower'>(peer?.role ?? 'upper');
  const [baseUrl, setBaseUrl] = useState(peer?.baseUrl ?? 'https://');
  const [enabled, setEnabled] = useState(peer?.enabled ?? true);
  const [remotePeerId, setRemotePeerId] = useState(peer?.remotePeerId ?? '');
  const [outboundSecret, setOutboundSecret] = useState('');
  const [authType, setAuthType] = useState<PeerAuthInput['type']>(peer?.auth.type ?? 'none');
  const [auth, setAuth] = useState<Record<string, string>>(() => {
    const a = peer?.auth as Record<string, string | null> | undefined;
    return { header: a?.header ?? 'X-Api-Key', username: a?.username ?? '', tokenUrl: a?.tokenUrl ?? '', clientId: a?.clientId ?? '', scope: a?.scope ?? '', clientAuth: a?.clientAuth ?? 'basic', key: '', password: '', clientSecret: '' };
  });
  const [authTouched, setAuthTouched] = useState(peer === null);
  const [push, setPush] = useState<PeerPush>(peer?.push ?? { bulletins: false, schedules: false, playoutLog: false, coverage: false, inventory: false, dailyAt: '01:00' });
  const [templates, setTemplates] = useState(JSON.stringify(peer?.templates ?? {}, null, 2));
  const [pull, setPull] = useState<PeerPull>(peer?.pull ?? { mode: 'none' });
  const [mapping, setMapping] = useState(JSON.stringify(peer?.pull.mode === 'poll' ? peer.pull.mapping : { itemsPath: 'data', originId: 'id', title: 'title', text: 'text', audioUrl: 'audioUrl', priority: null, validFrom: null, validUntil: null }, null, 2));
  const [timeoutMs, setTimeoutMs] = useState(String(peer?.timeoutMs ?? 15000));
  const [err, setErr] = useState<unknown>(null);
  const setA = (k: string) => (e: Event) => {
    setAuthTouched(true);
    setAuth({ ...auth, [k]: value(e) });
  };
  const json = (text: string, field: string): unknown => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Error(t('badJson', { field }));
    }
  };
  const authBody = (): PeerAuthInput => {
    switch (authType) {
      case 'none':
        return { type: 'none' };
      case 'api-key':
        return { type: 'api-key', header: auth.header!, key: auth.key! };
      case 'basic':
        return { type: 'basic', username: auth.username!, password: auth.password! };
      case 'oauth2':
        return { type: 'oauth2', tokenUrl: auth.tokenUrl!, clientId: auth.clientId!, clientSecret: auth.clientSecret!, scope: auth.scope || null, clientAuth: auth.clientAuth === 'post' ? 'post' : 'basic' };
    }
  };
  const save = async () => {
    setErr(null);
    try {
      const body: Record<string, unknown> = {
        name,
        role,
        baseUrl,
        enabled,
        remotePeerId: remotePeerId.trim() || null,
        push,
        templates: kind === 'rest' ? json(templates, t('templates')) : {},
        pull: pull.mode === 'poll' ? { ...pull, mapping: json(mapping, t('mapping')) } : pull,
        timeoutMs: Number(timeoutMs),
      };
      if (outboundSecret) body.outboundSecret = outboundSecret;
      if (authTouched || authType === 'none') body.auth = authBody();
      const saved = peer ? await patch<SourcePeerView>(`/api/v1/source-system/peers/${peer.id}`, body) : await post<SourcePeerCreated>('/api/v1/source-system/peers', { ...body, kind });
      onSaved(saved);
    } catch (e) {
      setErr(e);
    }
  };
  const check = (k: keyof Omit<PeerPush, 'dailyAt'>, label: string) => (
    <label class="check">
      <input type="checkbox" checked={push[k] ?? false} onChange={(e) => setPush({ ...push, [k]: (e.target as HTMLInputElement).checked })} /> {label}
    </label>
  );
  return (
    <Modal title={peer ? t('editPeer', { name: peer.name }) : t('addPeer')} onClose={onClose}>
      <Field label={t('name')}>
        <input value={name} onInput={(e) => setName(value(e))} data-testid="peer-name" />
      </Field>
      <div class="row">
        <Field label={t('peerKind')}>
          <select value={kind} disabled={peer !== null} onChange={(e) => setKind(value(e) as 'loa' | 'rest')} data-testid="peer-kind">
            <option value="loa">{t('kind_loa')}</option>
            <option value="rest">{t('kind_rest')}</option>
          </select>
        </Field>
        <Field label={t('role')}>
          <select value={role} onChange={(e) => setRole(value(e) as 'upper' | 'lower')} data-testid="peer-role">
            <option value="upper">{t('role_upper')}</option>
            <option value="lower">{t('role_lower')}</option>
          </select>
        </Field>
      </div>
      <Field label={t('baseUrl')}>
        <input value={baseUrl} onInput={(e) => setBaseUrl(value(e))} inputMode="url" data-testid="peer-url" />
      </Field>
      <label class="check">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled((e.target as HTMLInputElement).checked)} /> {t('enabled')}
      </label>
      {kind === 'loa' ? (
        <div class="row">
          <Field label={t('remotePeerId')}>
            <input value={remotePeerId} onInput={(e) => setRemotePeerId(value(e))} data-testid="peer-remote-id" />
          </Field>
          <Field label={t('outboundSecret')} hint={peer ? t('secretKept') : undefined}>
            <input type="password" autocomplete="off" value={outboundSecret} onInput={(e) => setOutboundSecret(value(e))} data-testid="peer-outbound-secret" />
          </Field>
        </div>
      ) : (
        <>
          <Field label={t('auth')} hint={peer ? t('secretKept') : undefined}>
            <select
              value={authType}
              onChange={(e) => {
                setAuthTouched(true);
                setAuthType(value(e) as PeerAuthInput['type']);
              }}
            >
              {(['none', 'api-key', 'basic', 'oauth2'] as const).map((a) => (
                <option key={a} value={a}>
                  {t(`auth_${a}`)}
                </option>
              ))}
            </select>
          </Field>
          {authType === 'api-key' && (
            <div class="row">
              <Field label={t('header')}>
                <input value={auth.header} onInput={setA('header')} />
              </Field>
              <Field label={t('apiKey')}>
                <input type="password" autocomplete="off" value={auth.key} onInput={setA('key')} />
              </Field>
            </div>
          )}
          {authType === 'basic' && (
            <div class="row">
              <Field label={t('username')}>
                <input value={auth.username} onInput={setA('username')} />
              </Field>
              <Field label={t('password')}>
                <input type="password" autocomplete="off" value={auth.password} onInput={setA('password')} />
              </Field>
            </div>
          )}
          {authType === 'oauth2' && (
            <>
              <Field label={t('tokenUrl')}>
                <input value={auth.tokenUrl} onInput={setA('tokenUrl')} inputMode="url" />
              </Field>
              <div class="row">
                <Field label={t('clientId')}>
                  <input value={auth.clientId} onInput={setA('clientId')} />
                </Field>
                <Field label={t('clientSecret')}>
                  <input type="password" autocomplete="off" value={auth.clientSecret} onInput={setA('clientSecret')} />
                </Field>
                <Field label={t('scope')}>
                  <input value={auth.scope} onInput={setA('scope')} />
                </Field>
              </div>
              <Field label={t('clientAuth')}>
                <select value={auth.clientAuth} onChange={setA('clientAuth')} data-testid="peer-client-auth">
                  <option value="basic">{t('clientAuth_basic')}</option>
                  <option value="post">{t('clientAuth_post')}</option>
                </select>
              </Field>
            </>
          )}
          <Field label={t('templates')} hint={t('templatesHint')}>
            <textarea rows={6} value={templates} onInput={(e) => setTemplates(value(e))} spellcheck={false} style={{ fontFamily: 'monospace' }} />
          </Field>
        </>
      )}
      {role === 'upper' && (
        <fieldset class="card">
          <legend>{t('push')}</legend>
          {check('bulletins', t('pushBulletins'))}
          {check('schedules', t('pushSchedules'))}
          {check('playoutLog', t('pushPlayout'))}
          {check('coverage', t('pushCoverage'))}
          {check('inventory', t('pushInventory'))}
          {check('feedbackStats', t('pushFeedbackStats'))}
          <Field label={t('dailyAt')}>
            <TimeField value={push.dailyAt} onChange={(v) => setPush({ ...push, dailyAt: v })} />
          </Field>
        </fieldset>
      )}
      {role === 'upper' && kind === 'rest' && (
        <fieldset class="card">
          <legend>{t('pull')}</legend>
          <select value={pull.mode} onChange={(e) => setPull(value(e) === 'poll' ? { mode: 'poll', url: '/bulletins', intervalS: 300, mapping: JSON.parse(mapping) as never } : { mode: value(e) as 'none' | 'webhook' })}>
            {(['none', 'webhook', 'poll'] as const).map((m) => (
              <option key={m} value={m}>
                {t(`pull_${m}`)}
              </option>
            ))}
          </select>
          {pull.mode === 'poll' && (
            <>
              <div class="row">
                <Field label={t('pollUrl')}>
                  <input value={pull.url} onInput={(e) => setPull({ ...pull, url: value(e) })} />
                </Field>
                <Field label={t('pollEvery')}>
                  <input type="number" min={30} value={pull.intervalS} onInput={(e) => setPull({ ...pull, intervalS: Number(value(e)) })} />
                </Field>
              </div>
              <Field label={t('mapping')}>
                <textarea rows={6} value={mapping} onInput={(e) => setMapping(value(e))} spellcheck={false} style={{ fontFamily: 'monospace' }} />
              </Field>
            </>
          )}
        </fieldset>
      )}
      <Field label={t('timeout')}>
        <input type="number" min={1000} max={120000} step={1000} value={timeoutMs} onInput={(e) => setTimeoutMs(value(e))} />
      </Field>
      <ErrorBox error={err} />
      <div class="row-inline">
        <ActionButton onClick={save} data-testid="peer-save">
          {c('save')}
        </ActionButton>
        <button type="button" class="ghost" onClick={onClose}>
          {c('cancel')}
        </button>
      </div>
    </Modal>
  );
}

function SendDown({ t, peer, onClose }: { t: T; peer: SourcePeerView; onClose: () => void }) {
  const c = useCommon();
  const contents = useAsync(() => get<ContentView[]>('/api/v1/contents'), []);
  const [contentId, setContentId] = useState('');
  const [areas, setAreas] = useState('');
  const [priority, setPriority] = useState<'normal' | 'priority' | 'emergency'>('normal');
  const [validFrom, setValidFrom] = useState('');
  const [validUntil, setValidUntil] = useState('');
  const [done, setDone] = useState(false);
  const send = async () => {
    const codes = areas
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    await post<ExchangeView>(`/api/v1/source-system/peers/${peer.id}/bulletins`, {
      contentId,
      areaCodes: codes.length ? codes : null,
      priority,
      validFrom: validFrom ? fromLocalInput(validFrom) : null,
      validUntil: validUntil ? fromLocalInput(validUntil) : null,
    });
    setDone(true);
  };
  const approved = (contents.data ?? []).filter((x) => x.state === 'approved' && (x.type === 'audio' || x.type === 'text'));
  return (
    <Modal title={t('sendTitle', { name: peer.name })} onClose={onClose}>
      <ErrorBox error={contents.error} />
      <Field label={t('content')}>
        <select value={contentId} onChange={(e) => setContentId(value(e))} data-testid="send-content">
          <option value="">{t('pickContent')}</option>
          {approved.map((x) => (
            <option key={x.id} value={x.id}>
              {x.title}
            </option>
          ))}
        </select>
      </Field>
      <Field label={t('areaCodes')}>
        <input value={areas} onInput={(e) => setAreas(value(e))} />
      </Field>
      <div class="row">
        <Field label={t('priority')}>
          <select value={priority} onChange={(e) => setPriority(value(e) as typeof priority)}>
            {(['normal', 'priority', 'emergency'] as const).map((p) => (
              <option key={p} value={p}>
                {t(`p_${p}`)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('validFrom')}>
          <DateTimeField value={validFrom ? fromLocalInput(validFrom) : ''} onChange={(iso) => setValidFrom(iso ? toLocalInput(iso) : '')} />
        </Field>
        <Field label={t('validUntil')}>
          <DateTimeField value={validUntil ? fromLocalInput(validUntil) : ''} onChange={(iso) => setValidUntil(iso ? toLocalInput(iso) : '')} />
        </Field>
      </div>
      {done ? (
        <div class="row-inline">
          <p class="ok" role="status" data-testid="send-done">
            {t('queued')}
          </p>
          <button type="button" onClick={onClose} data-testid="send-close">
            {c('close')}
          </button>
        </div>
      ) : (
        <div class="row-inline">
          <ActionButton onClick={send} disabled={!contentId} data-testid="send-submit">
            {t('send')}
          </ActionButton>
          <button type="button" class="ghost" onClick={onClose}>
            {c('cancel')}
          </button>
        </div>
      )}
    </Modal>
  );
}
