import { useState } from 'preact/hooks';
import type { CapFeedAuth, CapMessagePage, CapMessageState, CapSourceCreated, CapSourceView } from '@loa/shared/rest';
import { CAP_MESSAGE_STATES, DEFAULT_CAP_GEOCODE_NAMES, DEFAULT_CAP_PRIORITY_RULES } from '@loa/shared/rest';
import type { PageProps } from '../app.js';
import { del, get, patch, post } from '../api.js';
import { fmtDateTime } from '../format.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { ActionButton, Badge, Empty, ErrorBox, Field, Loading, Modal, PageHeader, useAsync, type Tone } from '../ui.js';

const S = defineStrings({
  vi: {
    title: 'Nguồn CAP',
    intro: 'Cảnh báo theo chuẩn CAP 1.2 (OASIS) từ cơ quan khí tượng, phòng chống thiên tai… được kiểm tra theo lược đồ XSD rồi phát thành cảnh báo khẩn cấp trên địa bàn. Mọi bản tin nhận được đều được ghi lại, kể cả bản tin bị từ chối và lý do.',
    tabSources: 'Nguồn',
    tabMessages: 'Bản tin đã nhận',
    add: 'Thêm nguồn',
    edit: 'Sửa nguồn {name}',
    name: 'Tên nguồn',
    kind: 'Cách nhận',
    kind_push: 'Nguồn gửi tới ta (POST)',
    kind_feed: 'Ta đọc nguồn tin (Atom/RSS)',
    feedUrl: 'Địa chỉ nguồn tin (Atom/RSS)',
    pollIntervalS: 'Chu kỳ đọc (giây)',
    feedAuth: 'Xác thực khi đọc nguồn tin',
    auth_none: 'Không',
    auth_bearer: 'Mã Bearer',
    auth_basic: 'Tên đăng nhập và mật khẩu (Basic)',
    token: 'Mã',
    username: 'Tên đăng nhập',
    password: 'Mật khẩu',
    keptHint: 'Để trống để giữ thông tin hiện tại',
    enabled: 'Đang dùng',
    disabled: 'Tạm dừng',
    trusted: 'Tin cậy: phát ngay, không cần người thứ hai xác nhận',
    allowTest: 'Cho phép bản tin Test/Exercise phát ra loa',
    speakDescription: 'Đọc nội dung bằng giọng nói (TTS) khi bản tin không có âm thanh',
    defaultExpiresS: 'Hiệu lực mặc định khi thiếu expires (giây)',
    geocodeNames: 'Tên mã địa bàn (valueName) được chấp nhận, cách nhau bởi dấu phẩy',
    resourceOrigins: 'Nguồn được phép tải âm thanh (origin), mỗi dòng một địa chỉ',
    priorityRules: 'Bảng ánh xạ mức ưu tiên (JSON)',
    badJson: 'Bảng ánh xạ mức ưu tiên không phải JSON hợp lệ',
    secretOnce: 'Khóa bí mật để nguồn gửi bản tin tới ta. Chỉ hiển thị một lần: hãy sao chép và gửi cho quản trị viên bên nguồn.',
    pushUrl: 'Địa chỉ nhận bản tin',
    sourceId: 'Mã nguồn (tên đăng nhập Basic)',
    secret: 'Khóa bí mật',
    howToSend: 'Gửi với Content-Type: application/cap+xml và Authorization: Bearer <khóa>.',
    copy: 'Sao chép',
    rotate: 'Cấp khóa mới',
    poll: 'Đọc ngay',
    polled: 'Đã đọc: {n} bản tin mới',
    lastPolled: 'Đọc lần cuối',
    remove: 'Xóa',
    confirmRemove: 'Xóa nguồn {name} và các bản tin đã nhận từ nguồn này?',
    trustedBadge: 'Tin cậy',
    testBadge: 'Cho phép thử',
    receivedAt: 'Nhận lúc',
    source: 'Nguồn',
    message: 'Bản tin',
    state: 'Kết quả',
    allStates: 'Mọi kết quả',
    allSources: 'Mọi nguồn',
    reason: 'Lý do',
    alerts: 'Cảnh báo',
    st_accepted: 'Đã áp dụng',
    st_pending: 'Chờ xác nhận',
    'st_test-recorded': 'Bản tin thử (chỉ ghi lại)',
    st_ignored: 'Bỏ qua',
    st_refused: 'Từ chối',
    total: 'Tổng {n}',
  },
  en: {
    title: 'CAP sources',
    intro: 'Warnings in CAP 1.2 (OASIS) from the weather service, disaster management… are checked against the XSD and broadcast as emergency alerts on their areas. Every message received is recorded, refused ones too, with the reason.',
    tabSources: 'Sources',
    tabMessages: 'Messages received',
    add: 'Add source',
    edit: 'Edit source {name}',
    name: 'Name',
    kind: 'How messages arrive',
    kind_push: 'The source sends to us (POST)',
    kind_feed: 'We read its feed (Atom/RSS)',
    feedUrl: 'Feed URL (Atom/RSS)',
    pollIntervalS: 'Poll interval (seconds)',
    feedAuth: 'Credentials for the feed',
    auth_none: 'None',
    auth_bearer: 'Bearer token',
    auth_basic: 'User name and password (Basic)',
    token: 'Token',
    username: 'User name',
    password: 'Password',
    keptHint: 'Leave empty to keep the current credentials',
    enabled: 'Enabled',
    disabled: 'Disabled',
    trusted: 'Trusted: broadcast at once, no second person needed',
    allowTest: 'Let Test/Exercise messages reach loudspeakers',
    speakDescription: 'Read the text aloud (TTS) when a message has no audio',
    defaultExpiresS: 'Default validity without expires (seconds)',
    geocodeNames: 'Accepted geocode valueNames, comma-separated',
    resourceOrigins: 'Origins audio may be fetched from, one per line',
    priorityRules: 'Priority table (JSON)',
    badJson: 'The priority table is not valid JSON',
    secretOnce: 'The secret the source sends with its messages. Shown once: copy it and give it to the source’s admin.',
    pushUrl: 'Push URL',
    sourceId: 'Source id (Basic user name)',
    secret: 'Secret',
    howToSend: 'Send with Content-Type: application/cap+xml and Authorization: Bearer <secret>.',
    copy: 'Copy',
    rotate: 'New secret',
    poll: 'Poll now',
    polled: 'Polled: {n} new message(s)',
    lastPolled: 'Last polled',
    remove: 'Remove',
    confirmRemove: 'Remove source {name} and the messages received from it?',
    trustedBadge: 'Trusted',
    testBadge: 'Tests allowed',
    receivedAt: 'Received',
    source: 'Source',
    message: 'Message',
    state: 'Outcome',
    allStates: 'Every outcome',
    allSources: 'Every source',
    reason: 'Reason',
    alerts: 'Alerts',
    st_accepted: 'Applied',
    st_pending: 'Awaiting confirmation',
    'st_test-recorded': 'Test (recorded only)',
    st_ignored: 'Ignored',
    st_refused: 'Refused',
    total: '{n} in all',
  },
});
type T = ReturnType<typeof useT<keyof (typeof S)['vi']>>;

const STATE_TONE: Record<CapMessageState, Tone> = { accepted: 'ok', pending: 'warn', 'test-recorded': 'muted', ignored: 'muted', refused: 'bad' };
const value = (e: Event): string => (e.target as HTMLInputElement).value;
const checked = (e: Event): boolean => (e.target as HTMLInputElement).checked;

export function CapSourcesPage(_: PageProps) {
  const t = useT(S);
  const [tab, setTab] = useState<'sources' | 'messages'>('sources');
  const sources = useAsync(() => get<CapSourceView[]>('/api/v1/cap/sources'), []);
  return (
    <div>
      <PageHeader title={t('title')} />
      <p class="muted">{t('intro')}</p>
      <div class="filters" role="tablist">
        <button type="button" class={tab === 'sources' ? '' : 'ghost'} onClick={() => setTab('sources')} data-testid="cap-tab-sources">
          {t('tabSources')}
        </button>
        <button type="button" class={tab === 'messages' ? '' : 'ghost'} onClick={() => setTab('messages')} data-testid="cap-tab-messages">
          {t('tabMessages')}
        </button>
      </div>
      {tab === 'sources' ? <Sources t={t} sources={sources.data} error={sources.error} loading={sources.loading} reload={sources.reload} /> : <Messages t={t} sources={sources.data ?? []} />}
    </div>
  );
}

function Sources({ t, sources, error, loading, reload }: { t: T; sources: CapSourceView[] | undefined; error: Error | undefined; loading: boolean; reload: () => void }) {
  const [editing, setEditing] = useState<CapSourceView | 'new' | null>(null);
  const [secret, setSecret] = useState<CapSourceCreated | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const saved = (s: CapSourceView | CapSourceCreated) => {
    setEditing(null);
    if ('secret' in s && s.secret) setSecret(s);
    reload();
  };
  return (
    <div>
      <div class="filters">
        <button type="button" onClick={() => setEditing('new')} data-testid="cap-add-source">
          {t('add')}
        </button>
      </div>
      <ErrorBox error={error} />
      {note && <p class="muted">{note}</p>}
      <Loading when={loading && !sources} />
      <Empty when={!loading && (sources ?? []).length === 0} />
      <div class="cards">
        {(sources ?? []).map((s) => (
          <div class="card" key={s.id} data-cap-source={s.id}>
            <strong>{s.name}</strong> {!s.enabled && <Badge tone="muted">{t('disabled')}</Badge>} {s.trusted && <Badge tone="warn">{t('trustedBadge')}</Badge>} {s.allowTest && <Badge tone="muted">{t('testBadge')}</Badge>}
            <div class="muted small">{t(`kind_${s.kind}`)}</div>
            <div class="small" style={{ overflowWrap: 'anywhere' }}>
              {s.kind === 'feed' ? s.feedUrl : `${location.origin}${s.pushUrl}`}
            </div>
            {s.kind === 'feed' && (
              <div class="small muted">
                {t('lastPolled')}: {s.lastPolledAt ? fmtDateTime(s.lastPolledAt) : '—'} {s.lastPollError && <span class="bad">· {s.lastPollError}</span>}
              </div>
            )}
            <div class="row-inline" style={{ marginTop: '.5rem', flexWrap: 'wrap' }}>
              <button type="button" class="ghost" onClick={() => setEditing(s)}>
                {t('edit', { name: '' }).trim()}
              </button>
              {s.kind === 'push' ? (
                <ActionButton class="ghost" onClick={() => patch<CapSourceCreated>(`/api/v1/cap/sources/${s.id}`, { rotateSecret: true }).then(saved)}>
                  {t('rotate')}
                </ActionButton>
              ) : (
                <ActionButton
                  class="ghost"
                  onClick={async () => {
                    const r = await post<{ handled: number }>(`/api/v1/cap/sources/${s.id}/poll`);
                    setNote(t('polled', { n: r.handled }));
                    reload();
                  }}
                >
                  {t('poll')}
                </ActionButton>
              )}
              <ActionButton
                class="ghost danger"
                onClick={async () => {
                  if (!confirm(t('confirmRemove', { name: s.name }))) return;
                  await del(`/api/v1/cap/sources/${s.id}`);
                  reload();
                }}
              >
                {t('remove')}
              </ActionButton>
            </div>
          </div>
        ))}
      </div>
      {editing && <SourceForm t={t} source={editing === 'new' ? null : editing} onClose={() => setEditing(null)} onSaved={saved} />}
      {secret && secret.secret && (
        <Modal title={secret.name} onClose={() => setSecret(null)}>
          <p>{t('secretOnce')}</p>
          <Field label={t('pushUrl')}>
            <input readOnly value={`${location.origin}${secret.pushUrl}`} />
          </Field>
          <Field label={t('sourceId')}>
            <input readOnly value={secret.id} />
          </Field>
          <Field label={t('secret')}>
            <input readOnly value={secret.secret} data-testid="cap-secret" onFocus={(e) => (e.target as HTMLInputElement).select()} />
          </Field>
          <p class="muted small">{t('howToSend')}</p>
          <button type="button" onClick={() => void navigator.clipboard?.writeText(secret.secret ?? '')}>
            {t('copy')}
          </button>
        </Modal>
      )}
    </div>
  );
}

function SourceForm({ t, source, onClose, onSaved }: { t: T; source: CapSourceView | null; onClose: () => void; onSaved: (s: CapSourceView | CapSourceCreated) => void }) {
  const c = useCommon();
  const [name, setName] = useState(source?.name ?? '');
  const [kind, setKind] = useState<'push' | 'feed'>(source?.kind ?? 'push');
  const [feedUrl, setFeedUrl] = useState(source?.feedUrl ?? 'https://');
  const [pollIntervalS, setPollIntervalS] = useState(String(source?.pollIntervalS ?? 300));
  const [authType, setAuthType] = useState<CapFeedAuth['type']>(source?.feedAuthType ?? 'none');
  const [token, setToken] = useState('');
  const [username, setUsername] = useState(source?.feedUsername ?? '');
  const [password, setPassword] = useState('');
  const [enabled, setEnabled] = useState(source?.enabled ?? true);
  const [trusted, setTrusted] = useState(source?.trusted ?? false);
  const [allowTest, setAllowTest] = useState(source?.allowTest ?? false);
  const [speak, setSpeak] = useState(source?.speakDescription ?? false);
  const [expires, setExpires] = useState(String(source?.defaultExpiresS ?? 3600));
  const [geocodes, setGeocodes] = useState((source?.geocodeNames ?? DEFAULT_CAP_GEOCODE_NAMES).join(', '));
  const [origins, setOrigins] = useState((source?.resourceOrigins ?? []).join('\n'));
  const [rules, setRules] = useState(JSON.stringify(source?.priorityRules ?? DEFAULT_CAP_PRIORITY_RULES, null, 2));
  const [err, setErr] = useState<unknown>(null);
  const save = async () => {
    setErr(null);
    try {
      let priorityRules: unknown;
      try {
        priorityRules = JSON.parse(rules);
      } catch {
        throw new Error(t('badJson'));
      }
      const body: Record<string, unknown> = {
        name,
        enabled,
        trusted,
        allowTest,
        speakDescription: speak,
        defaultExpiresS: Number(expires),
        geocodeNames: geocodes.split(',').map((s) => s.trim()).filter(Boolean),
        resourceOrigins: origins.split(/\s+/).map((s) => s.trim()).filter(Boolean),
        priorityRules,
      };
      if (kind === 'feed') {
        body.feedUrl = feedUrl;
        body.pollIntervalS = Number(pollIntervalS);
        // Credentials are never shown again: only sent when typed (or set to none).
        if (authType === 'none') body.feedAuth = { type: 'none' };
        else if (authType === 'bearer' && token) body.feedAuth = { type: 'bearer', token };
        else if (authType === 'basic' && password) body.feedAuth = { type: 'basic', username, password };
      }
      onSaved(source ? await patch<CapSourceView>(`/api/v1/cap/sources/${source.id}`, body) : await post<CapSourceCreated>('/api/v1/cap/sources', { ...body, kind }));
    } catch (e) {
      setErr(e);
    }
  };
  const check = (label: string, v: boolean, set: (b: boolean) => void) => (
    <label class="check">
      <input type="checkbox" checked={v} onChange={(e) => set(checked(e))} /> {label}
    </label>
  );
  return (
    <Modal title={source ? t('edit', { name: source.name }) : t('add')} onClose={onClose}>
      <Field label={t('name')}>
        <input value={name} onInput={(e) => setName(value(e))} data-testid="cap-source-name" />
      </Field>
      <Field label={t('kind')}>
        <select value={kind} disabled={source !== null} onChange={(e) => setKind(value(e) as 'push' | 'feed')} data-testid="cap-source-kind">
          <option value="push">{t('kind_push')}</option>
          <option value="feed">{t('kind_feed')}</option>
        </select>
      </Field>
      {kind === 'feed' && (
        <>
          <Field label={t('feedUrl')}>
            <input value={feedUrl} inputMode="url" onInput={(e) => setFeedUrl(value(e))} data-testid="cap-source-feed" />
          </Field>
          <div class="row">
            <Field label={t('pollIntervalS')}>
              <input type="number" min={30} value={pollIntervalS} onInput={(e) => setPollIntervalS(value(e))} />
            </Field>
            <Field label={t('feedAuth')} hint={source ? t('keptHint') : undefined}>
              <select value={authType} onChange={(e) => setAuthType(value(e) as CapFeedAuth['type'])}>
                <option value="none">{t('auth_none')}</option>
                <option value="bearer">{t('auth_bearer')}</option>
                <option value="basic">{t('auth_basic')}</option>
              </select>
            </Field>
          </div>
          {authType === 'bearer' && (
            <Field label={t('token')}>
              <input type="password" autocomplete="off" value={token} onInput={(e) => setToken(value(e))} />
            </Field>
          )}
          {authType === 'basic' && (
            <div class="row">
              <Field label={t('username')}>
                <input value={username} onInput={(e) => setUsername(value(e))} />
              </Field>
              <Field label={t('password')}>
                <input type="password" autocomplete="off" value={password} onInput={(e) => setPassword(value(e))} />
              </Field>
            </div>
          )}
        </>
      )}
      {check(t('enabled'), enabled, setEnabled)}
      {check(t('trusted'), trusted, setTrusted)}
      {check(t('allowTest'), allowTest, setAllowTest)}
      {check(t('speakDescription'), speak, setSpeak)}
      <Field label={t('defaultExpiresS')}>
        <input type="number" min={60} value={expires} onInput={(e) => setExpires(value(e))} />
      </Field>
      <Field label={t('geocodeNames')}>
        <input value={geocodes} onInput={(e) => setGeocodes(value(e))} />
      </Field>
      <Field label={t('resourceOrigins')}>
        <textarea rows={2} value={origins} onInput={(e) => setOrigins(value(e))} />
      </Field>
      <Field label={t('priorityRules')}>
        <textarea rows={8} class="mono small" value={rules} onInput={(e) => setRules(value(e))} />
      </Field>
      <ErrorBox error={err} />
      <div class="row-inline">
        <ActionButton onClick={save} data-testid="cap-source-save">
          {c('save')}
        </ActionButton>
        <button type="button" class="ghost" onClick={onClose}>
          {c('cancel')}
        </button>
      </div>
    </Modal>
  );
}

function Messages({ t, sources }: { t: T; sources: CapSourceView[] }) {
  const [state, setState] = useState('');
  const [sourceId, setSourceId] = useState('');
  const list = useAsync(() => get<CapMessagePage>('/api/v1/cap/messages', { limit: 200, ...(state ? { state } : {}), ...(sourceId ? { sourceId } : {}) }), [state, sourceId]);
  const nameOf = (id: string) => sources.find((s) => s.id === id)?.name ?? id;
  return (
    <div>
      <div class="filters">
        <select value={sourceId} onChange={(e) => setSourceId(value(e))} aria-label={t('source')}>
          <option value="">{t('allSources')}</option>
          {sources.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
        <select value={state} onChange={(e) => setState(value(e))} aria-label={t('state')}>
          <option value="">{t('allStates')}</option>
          {CAP_MESSAGE_STATES.map((s) => (
            <option key={s} value={s}>
              {t(`st_${s}`)}
            </option>
          ))}
        </select>
        {list.data && <span class="muted small">{t('total', { n: list.data.total })}</span>}
      </div>
      <ErrorBox error={list.error} />
      <Loading when={list.loading && !list.data} />
      <Empty when={!list.loading && (list.data?.items ?? []).length === 0} />
      {(list.data?.items ?? []).length > 0 && (
        <div class="table-wrap">
          <table data-testid="cap-messages">
            <thead>
              <tr>
                <th>{t('receivedAt')}</th>
                <th>{t('source')}</th>
                <th>{t('message')}</th>
                <th>{t('state')}</th>
                <th>{t('reason')}</th>
                <th>{t('alerts')}</th>
              </tr>
            </thead>
            <tbody>
              {list.data!.items.map((m) => (
                <tr key={m.id}>
                  <td class="small">{fmtDateTime(m.receivedAt)}</td>
                  <td class="small">
                    {nameOf(m.sourceId)} <span class="muted">({m.via})</span>
                  </td>
                  <td class="small" style={{ overflowWrap: 'anywhere' }}>
                    {m.headline && <div>{m.headline}</div>}
                    <div class="muted">
                      {[m.msgType, m.status].filter(Boolean).join(' · ')} {m.identifier && <code>{m.identifier}</code>}
                    </div>
                  </td>
                  <td>
                    <Badge tone={STATE_TONE[m.state]}>{t(`st_${m.state}`)}</Badge>
                  </td>
                  <td class="small">
                    <div style={{ width: '22rem', whiteSpace: 'normal', overflowWrap: 'anywhere' }}>{m.reason ?? ''}</div>
                  </td>
                  <td class="small">
                    {m.alertIds.map((id) => (
                      <div key={id}>
                        <a href={`#/alert/${id}`}>{id.slice(0, 8)}</a>
                      </div>
                    ))}
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
