import { useEffect, useMemo, useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { get, patch, post } from '../api.js';
import { fmtDateTime } from '../format.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import type { Role } from '../session.js';
import type { AreaView } from '@loa/shared/rest';
import { ActionButton, AreaSelect, areaName, Badge, Empty, ErrorBox, Field, Loading, Modal, PageHeader, useAreas, useAsync } from '../ui.js';
import { CommuneSelect, ROLE_TONES } from './admin-common.js';
import type { UserView } from '@loa/shared/rest';

/** GET /api/v1/users */
type UserRow = UserView;

const ROLES: Role[] = ['admin', 'operator', 'approver', 'commune_officer'];

const S = defineStrings({
  vi: {
    title: 'Người dùng',
    new: 'Thêm người dùng',
    username: 'Tên đăng nhập',
    role: 'Vai trò',
    area: 'Địa bàn quản lý',
    state: 'Trạng thái',
    created: 'Ngày tạo',
    actions: 'Thao tác',
    active: 'Đang hoạt động',
    locked: 'Đã khóa',
    lock: 'Khóa',
    unlock: 'Mở khóa',
    resetPassword: 'Đặt lại mật khẩu',
    edit: 'Sửa',
    initialPassword: 'Mật khẩu ban đầu (ít nhất 8 ký tự)',
    newPassword: 'Mật khẩu mới (ít nhất 8 ký tự)',
    repeat: 'Nhập lại mật khẩu',
    mismatch: 'Hai mật khẩu không khớp',
    generate: 'Tạo ngẫu nhiên',
    usernameHint: '3–64 ký tự: chữ thường không dấu, chữ số, ".", "_" hoặc "-"',
    adminAreaHint: '"Tất cả": quản trị toàn hệ thống. Chọn một địa bàn để giới hạn quyền trong địa bàn đó.',
    areaHint: 'Người dùng chỉ thấy và thao tác trong địa bàn này và các đơn vị trực thuộc.',
    officerAreaHint: 'Cán bộ xã được gán đúng một xã/phường.',
    pickCommune: '— Chọn xã/phường —',
    needArea: 'Vai trò này cần chọn địa bàn',
    needCommune: 'Cán bộ xã phải được gán một xã/phường',
    noCommunes: 'Chưa có xã/phường nào trong cây địa bàn: hãy tạo hoặc nhập địa bàn trước.',
    createdMsg: 'Đã tạo tài khoản {name}. Hãy gửi mật khẩu ban đầu cho người dùng; nếu đã chọn “bắt buộc đổi mật khẩu”, họ sẽ phải đặt mật khẩu riêng ngay khi đăng nhập.',
    sessionsEnd: 'Lưu thay đổi sẽ đăng xuất người dùng này trên mọi thiết bị.',
    self: 'Bạn không thể tự khóa tài khoản hoặc bỏ quyền quản trị của chính mình.',
    passwordSet: 'Đã đặt mật khẩu mới cho {name}. Người dùng đã bị đăng xuất và cần đăng nhập lại bằng mật khẩu mới.',
    search: 'Tìm tên đăng nhập, họ tên, số điện thoại',
    allRoles: 'Tất cả vai trò',
    allStates: 'Mọi trạng thái',
    count: '{n} tài khoản',
    you: 'bạn',
    lockedLabel: 'Khóa tài khoản (không cho đăng nhập)',
    editTitle: 'Sửa tài khoản {name}',
    resetTitle: 'Đặt lại mật khẩu: {name}',
    createTitle: 'Thêm người dùng',
    desc_admin: 'Toàn quyền: tài khoản, địa bàn, thiết bị, nội dung và lịch phát.',
    desc_operator: 'Soạn bản tin, đặt lịch phát, điều khiển thiết bị trong địa bàn.',
    desc_approver: 'Duyệt bản tin và lịch phát, xem nhật ký trong địa bàn.',
    desc_commune_officer: 'Theo dõi thiết bị và kết quả phát của xã/phường mình.',
    copy: 'Sao chép',
    fullName: 'Họ và tên',
    userCol: 'Họ tên / tên đăng nhập',
    fullNameHint: 'Hiện trong nhật ký thao tác và cho người duyệt thay cho tên đăng nhập.',
    phone: 'Số điện thoại',
    phoneHint: 'Số Việt Nam: 10 chữ số bắt đầu bằng 0 (hoặc +84…), dùng để gửi thông báo.',
    phoneBad: 'Số điện thoại không hợp lệ: cần 10 chữ số bắt đầu bằng 0, ví dụ 0912345678',
    email: 'Thư điện tử',
    emailHint: 'Nhận thông báo phê duyệt qua thư điện tử (khi máy chủ đã cấu hình gửi thư).',
    mustChange: 'Bắt buộc đổi mật khẩu khi đăng nhập',
    mustChangeBadge: 'Chờ đổi mật khẩu',
    mustChangeHint: 'Người dùng phải tự đặt mật khẩu mới trước khi làm việc khác.',
  },
  en: {
    title: 'Users',
    new: 'Add user',
    username: 'Username',
    role: 'Role',
    area: 'Area',
    state: 'Status',
    created: 'Created',
    actions: 'Actions',
    active: 'Active',
    locked: 'Disabled',
    lock: 'Disable',
    unlock: 'Enable',
    resetPassword: 'Reset password',
    edit: 'Edit',
    initialPassword: 'Initial password (8 characters or more)',
    newPassword: 'New password (8 characters or more)',
    repeat: 'Repeat the password',
    mismatch: 'The passwords differ',
    generate: 'Generate',
    usernameHint: '3–64 characters: a-z, 0-9, ".", "_" or "-"',
    adminAreaHint: '"All": administers the whole system. Pick an area to limit the account to it.',
    areaHint: 'The user sees and acts only within this area and the units under it.',
    officerAreaHint: 'A commune officer is assigned exactly one commune.',
    pickCommune: '— Pick a commune —',
    needArea: 'This role needs an area',
    needCommune: 'A commune officer must be assigned a commune',
    noCommunes: 'There is no commune in the area tree yet: create or import areas first.',
    createdMsg: 'Account {name} created. Give the user the initial password; with “must change” ticked, they set their own at the first sign-in.',
    sessionsEnd: 'Saving signs this user out everywhere.',
    self: 'You cannot disable your own account or drop your own admin role.',
    passwordSet: 'New password set for {name}. The user was signed out and must sign in with the new password.',
    search: 'Search username, name, phone',
    allRoles: 'All roles',
    allStates: 'Any status',
    count: '{n} accounts',
    you: 'you',
    lockedLabel: 'Disable the account (no sign-in)',
    editTitle: 'Edit account {name}',
    resetTitle: 'Reset password: {name}',
    createTitle: 'Add user',
    desc_admin: 'Full control: accounts, areas, devices, content and schedules.',
    desc_operator: 'Writes bulletins, schedules broadcasts and controls devices in the area.',
    desc_approver: 'Approves bulletins and schedules and reads the audit log in the area.',
    desc_commune_officer: 'Follows the devices and proof of play of their commune.',
    copy: 'Copy',
    fullName: 'Full name',
    userCol: 'Name / username',
    fullNameHint: 'Shown in the audit log and to approvers instead of the username.',
    phone: 'Phone',
    phoneHint: 'Vietnamese number: 10 digits starting with 0 (or +84…), for notifications.',
    phoneBad: 'Invalid phone number: 10 digits starting with 0, e.g. 0912345678',
    email: 'E-mail',
    emailHint: 'Receives approval notifications by e-mail (when the server is set up to send mail).',
    mustChange: 'Must change the password at sign-in',
    mustChangeBadge: 'Must change password',
    mustChangeHint: 'The user has to set a new password before doing anything else.',
  },
});

/** The same normal form the server keeps (shared normalizePhone), checked before sending. */
function phoneOk(v: string): boolean {
  if (v.trim() === '') return true;
  const digits = v.replace(/[\s.\-()]/g, '');
  const local = digits.startsWith('+84') ? `0${digits.slice(3)}` : /^84\d{9}$/.test(digits) ? `0${digits.slice(2)}` : digits;
  return /^0\d{9}$/.test(local);
}

/** "0912345678" → "0912 345 678", as people write it. */
const fmtPhone = (p: string): string => (/^0\d{9}$/.test(p) ? `${p.slice(0, 4)} ${p.slice(4, 7)} ${p.slice(7)}` : p);

/** A readable random password: no look-alike characters (0/O, 1/l/I). */
function randomPassword(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

export function UsersPage({ session }: PageProps) {
  const t = useT(S);
  const c = useCommon();
  const areas = useAreas();
  const users = useAsync(() => get<UserRow[]>('/api/v1/users'), []);
  const [q, setQ] = useState('');
  const [role, setRole] = useState('');
  const [state, setState] = useState('');
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<UserRow | null>(null);
  const [resetting, setResetting] = useState<UserRow | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const rows = useMemo(() => {
    const needle = q.trim().toLowerCase();
    return [...(users.data ?? [])]
      .filter(
        (u) =>
          (!needle || u.username.includes(needle) || (u.fullName ?? '').toLowerCase().includes(needle) || (u.phone ?? '').includes(needle.replace(/\D/g, '') || '\u0000')) &&
          (!role || u.role === role) &&
          (!state || (state === 'locked') === u.disabled),
      )
      .sort((a, b) => a.username.localeCompare(b.username));
  }, [users.data, q, role, state]);

  const replace = (u: UserRow) => users.set((prev) => prev?.map((x) => (x.id === u.id ? u : x)));

  return (
    <section>
      <PageHeader title={t('title')}>
        <button type="button" class="primary" data-testid="user-new" onClick={() => (setNotice(null), setCreating(true))}>
          + {t('new')}
        </button>
      </PageHeader>
      <div class="filters">
        <Field label={c('search')}>
          <input type="search" value={q} placeholder={t('search')} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
        </Field>
        <Field label={t('role')}>
          <select value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value)}>
            <option value="">{t('allRoles')}</option>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {c(`role_${r}`)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('state')}>
          <select value={state} onChange={(e) => setState((e.target as HTMLSelectElement).value)}>
            <option value="">{t('allStates')}</option>
            <option value="active">{t('active')}</option>
            <option value="locked">{t('locked')}</option>
          </select>
        </Field>
        <button type="button" onClick={users.reload}>
          {c('refresh')}
        </button>
      </div>
      {notice ? (
        <p class="ok card" role="status">
          {notice}
        </p>
      ) : null}
      <ErrorBox error={users.error} />
      <Loading when={users.loading && !users.data} />
      {users.data ? <p class="muted small">{t('count', { n: rows.length })}</p> : null}
      {rows.length > 0 ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>{t('userCol')}</th>
                <th>{t('phone')}</th>
                <th>{t('role')}</th>
                <th>{t('area')}</th>
                <th>{t('state')}</th>
                <th class="hide-phone">{t('created')}</th>
                <th>{t('actions')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((u) => {
                const self = u.id === session.user.id;
                return (
                  <tr key={u.id} data-testid="user-row" data-username={u.username} data-role={u.role} data-disabled={u.disabled ? 'true' : 'false'} style={u.disabled ? { background: '#f6f7f8' } : undefined}>
                    <td>
                      {u.fullName ? (
                        <>
                          <strong data-testid="user-full-name">{u.fullName}</strong>
                          <br />
                          <span class="muted small">{u.username}</span>
                        </>
                      ) : (
                        <strong>{u.username}</strong>
                      )}
                      {self ? <span class="muted small"> ({t('you')})</span> : null}
                    </td>
                    <td data-testid="user-phone">
                      {u.phone ? <a href={`tel:${u.phone}`}>{fmtPhone(u.phone)}</a> : <span class="muted">—</span>}
                    </td>
                    <td>
                      <Badge tone={ROLE_TONES[u.role] ?? 'muted'}>{c(`role_${u.role}`)}</Badge>
                    </td>
                    <td class="wrap">
                      {u.areaCode ? (
                        <span title={u.areaCode}>{areaName(areas, u.areaCode)}</span>
                      ) : (
                        <span class="muted">{c('all')}</span>
                      )}
                    </td>
                    <td>
                      {u.disabled ? <Badge tone="bad">{t('locked')}</Badge> : <Badge tone="ok">{t('active')}</Badge>}
                      {u.mustChangePassword ? (
                        <>
                          {' '}
                          <span data-testid="user-must-change">
                            <Badge tone="warn">{t('mustChangeBadge')}</Badge>
                          </span>
                        </>
                      ) : null}
                    </td>
                    <td class="hide-phone">{fmtDateTime(u.createdAt)}</td>
                    <td>
                      <div style={{ display: 'flex', gap: '.3rem', flexWrap: 'nowrap' }}>
                        <button type="button" onClick={() => (setNotice(null), setEditing(u))} data-testid="user-edit">
                          {t('edit')}
                        </button>
                        <button type="button" onClick={() => (setNotice(null), setResetting(u))} data-testid="user-reset-password">
                          {t('resetPassword')}
                        </button>
                        {self ? null : (
                          <ActionButton
                            class={u.disabled ? '' : 'danger'}
                            data-testid="user-toggle-disabled"
                            onClick={async () => replace(await patch<UserRow>(`/api/v1/users/${encodeURIComponent(u.id)}`, { disabled: !u.disabled }))}
                          >
                            {u.disabled ? t('unlock') : t('lock')}
                          </ActionButton>
                        )}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : (
        <Empty when={Boolean(users.data)} />
      )}
      {creating ? (
        <CreateUser
          areas={areas}
          onClose={() => setCreating(false)}
          onDone={(u) => {
            setCreating(false);
            users.set((prev) => [...(prev ?? []), u]);
            setNotice(t('createdMsg', { name: u.username }));
          }}
        />
      ) : null}
      {editing ? (
        <EditUser
          user={editing}
          self={editing.id === session.user.id}
          areas={areas}
          onClose={() => setEditing(null)}
          onDone={(u) => {
            setEditing(null);
            replace(u);
          }}
        />
      ) : null}
      {resetting ? (
        <ResetPassword
          user={resetting}
          onClose={() => setResetting(null)}
          onDone={(u) => {
            setResetting(null);
            replace(u);
            setNotice(t('passwordSet', { name: u.username }));
          }}
        />
      ) : null}
    </section>
  );
}

/** Role select with a line on what the role may do, and the area picker that fits the role. */
function RoleArea({ role, setRole, area, setArea, areas, lockAdmin }: { role: Role; setRole: (r: Role) => void; area: string; setArea: (a: string) => void; areas: AreaView[]; lockAdmin?: boolean }) {
  const t = useT(S);
  const c = useCommon();
  // Keep the picked area valid for the role: the browser would otherwise show an option the state does not hold.
  useEffect(() => {
    if (areas.length === 0) return;
    const cur = areas.find((a) => a.code === area);
    if (role === 'commune_officer') {
      if (cur && cur.level !== 'commune') setArea('');
    } else if (role !== 'admin' && !cur) {
      const first = [...areas].sort((a, b) => a.path.localeCompare(b.path))[0];
      if (first) setArea(first.code);
    }
  }, [role, areas.length]);
  const hasCommunes = areas.some((a) => a.level === 'commune');
  return (
    <>
      <Field label={t('role')} hint={t(`desc_${role}`)}>
        <select value={role} disabled={lockAdmin} onChange={(e) => setRole((e.target as HTMLSelectElement).value as Role)} data-testid="user-role">
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {c(`role_${r}`)}
            </option>
          ))}
        </select>
      </Field>
      {role === 'commune_officer' ? (
        <Field label={t('area')} hint={hasCommunes ? t('officerAreaHint') : t('noCommunes')}>
          <CommuneSelect areas={areas} value={area} onChange={setArea} placeholder={t('pickCommune')} />
        </Field>
      ) : (
        <Field label={t('area')} hint={role === 'admin' ? t('adminAreaHint') : t('areaHint')}>
          <AreaSelect value={area} onChange={setArea} allowAll={role === 'admin'} required={role !== 'admin'} />
        </Field>
      )}
    </>
  );
}

/** Client-side check of role and area, in the user's language (the server checks too). */
function areaProblem(role: Role, area: string, areas: AreaView[], t: (k: 'needArea' | 'needCommune') => string): string | null {
  if (role === 'admin') return null;
  const a = areas.find((x) => x.code === area);
  if (!a) return role === 'commune_officer' ? t('needCommune') : t('needArea');
  if (role === 'commune_officer' && a.level !== 'commune') return t('needCommune');
  return null;
}

/** A new password, with a generator (a generated one is shown so it can be copied and handed over). */
function PasswordInput({ value, onInput, label, testid }: { value: string; onInput: (v: string, generated: boolean) => void; label: string; testid: string }) {
  const t = useT(S);
  const [shown, setShown] = useState(false);
  return (
    <Field label={label}>
      <div style={{ display: 'flex', gap: '.4rem', flexWrap: 'wrap' }}>
        <input
          type={shown ? 'text' : 'password'}
          autoComplete="new-password"
          minLength={8}
          maxLength={200}
          required
          value={value}
          style={{ flex: '1 1 10rem' }}
          data-testid={testid}
          onInput={(e) => onInput((e.target as HTMLInputElement).value, false)}
        />
        <button
          type="button"
          onClick={() => {
            onInput(randomPassword(), true);
            setShown(true);
          }}
        >
          {t('generate')}
        </button>
        {shown && value ? (
          <button type="button" class="ghost" onClick={() => void navigator.clipboard?.writeText(value).catch(() => undefined)}>
            {t('copy')}
          </button>
        ) : null}
      </div>
    </Field>
  );
}

function CreateUser({ areas, onClose, onDone }: { areas: AreaView[]; onClose: () => void; onDone: (u: UserRow) => void }) {
  const t = useT(S);
  const c = useCommon();
  const [username, setUsername] = useState('');
  const [fullName, setFullName] = useState('');
  const [phone, setPhone] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [mustChange, setMustChange] = useState(true);
  const [role, setRole] = useState<Role>('operator');
  const [area, setArea] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const problem = areaProblem(role, area, areas, t) ?? (phoneOk(phone) ? null : t('phoneBad'));
    if (problem) return setError(new Error(problem));
    setBusy(true);
    try {
      onDone(
        await post<UserRow>('/api/v1/users', {
          username: username.trim(),
          password,
          role,
          areaCode: area || null,
          fullName: fullName.trim() || null,
          phone: phone.trim() || null,
          email: email.trim() || null,
          mustChangePassword: mustChange,
        }),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={t('createTitle')} onClose={onClose}>
      <form class="form" onSubmit={submit} data-testid="user-form">
        <Field label={t('username')} hint={t('usernameHint')}>
          <input
            name="username"
            autoComplete="off"
            required
            pattern="[a-z0-9._\-]{3,64}"
            value={username}
            onInput={(e) => setUsername((e.target as HTMLInputElement).value.toLowerCase())}
            data-testid="user-username"
          />
        </Field>
        <NamePhone fullName={fullName} setFullName={setFullName} phone={phone} setPhone={setPhone} email={email} setEmail={setEmail} />
        <PasswordInput label={t('initialPassword')} value={password} onInput={setPassword} testid="user-password" />
        <MustChange value={mustChange} onChange={setMustChange} />
        <RoleArea role={role} setRole={setRole} area={area} setArea={setArea} areas={areas} />
        <ErrorBox error={error} />
        <div class="row">
          <button type="submit" class="primary" disabled={busy} data-testid="user-save">
            {c('create')}
          </button>
          <button type="button" onClick={onClose}>
            {c('cancel')}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function EditUser({ user, self, areas, onClose, onDone }: { user: UserRow; self: boolean; areas: AreaView[]; onClose: () => void; onDone: (u: UserRow) => void }) {
  const t = useT(S);
  const c = useCommon();
  const [role, setRole] = useState<Role>(user.role);
  const [area, setArea] = useState(user.areaCode ?? '');
  const [disabled, setDisabled] = useState(user.disabled);
  const [fullName, setFullName] = useState(user.fullName ?? '');
  const [phone, setPhone] = useState(user.phone ?? '');
  const [email, setEmail] = useState(user.email ?? '');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const problem = areaProblem(role, area, areas, t) ?? (phoneOk(phone) ? null : t('phoneBad'));
    if (problem) return setError(new Error(problem));
    const body: Record<string, unknown> = {};
    if ((fullName.trim() || null) !== (user.fullName ?? null)) body.fullName = fullName.trim() || null;
    if ((phone.trim() || null) !== (user.phone ?? null)) body.phone = phone.trim() || null;
    if ((email.trim() || null) !== (user.email ?? null)) body.email = email.trim() || null;
    if (role !== user.role) body.role = role;
    if ((area || null) !== user.areaCode) body.areaCode = area || null;
    if (disabled !== user.disabled) body.disabled = disabled;
    if (Object.keys(body).length === 0) return onClose();
    setBusy(true);
    try {
      onDone(await patch<UserRow>(`/api/v1/users/${encodeURIComponent(user.id)}`, body));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={t('editTitle', { name: user.username })} onClose={onClose}>
      <form class="form" onSubmit={submit} data-testid="user-edit-form">
        <NamePhone fullName={fullName} setFullName={setFullName} phone={phone} setPhone={setPhone} email={email} setEmail={setEmail} />
        <RoleArea role={role} setRole={setRole} area={area} setArea={setArea} areas={areas} lockAdmin={self} />
        <label style={{ display: 'flex', gap: '.5rem', alignItems: 'center', marginBottom: '.75rem' }}>
          <input type="checkbox" checked={disabled} disabled={self} onChange={(e) => setDisabled((e.target as HTMLInputElement).checked)} data-testid="user-disabled" />
          {t('lockedLabel')}
        </label>
        {self ? <p class="muted small">{t('self')}</p> : null}
        <p class="muted small">{t('sessionsEnd')}</p>
        <ErrorBox error={error} />
        <div class="row">
          <button type="submit" class="primary" disabled={busy} data-testid="user-save">
            {c('save')}
          </button>
          <button type="button" onClick={onClose}>
            {c('cancel')}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function ResetPassword({ user, onClose, onDone }: { user: UserRow; onClose: () => void; onDone: (u: UserRow) => void }) {
  const t = useT(S);
  const c = useCommon();
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mustChange, setMustChange] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (password !== repeat) return setError(new Error(t('mismatch')));
    setBusy(true);
    try {
      onDone(await patch<UserRow>(`/api/v1/users/${encodeURIComponent(user.id)}`, { password, mustChangePassword: mustChange }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={t('resetTitle', { name: user.username })} onClose={onClose}>
      <form class="form" onSubmit={submit}>
        <PasswordInput
          label={t('newPassword')}
          value={password}
          onInput={(v, generated) => {
            setPassword(v);
            if (generated) setRepeat(v);
          }}
          testid="user-new-password"
        />
        <Field label={t('repeat')}>
          <input type="password" autoComplete="new-password" minLength={8} required value={repeat} onInput={(e) => setRepeat((e.target as HTMLInputElement).value)} data-testid="user-repeat-password" />
        </Field>
        <MustChange value={mustChange} onChange={setMustChange} />
        <p class="muted small">{t('sessionsEnd')}</p>
        <ErrorBox error={error} />
        <div class="row">
          <button type="submit" class="primary" disabled={busy} data-testid="user-save">
            {t('resetPassword')}
          </button>
          <button type="button" onClick={onClose}>
            {c('cancel')}
          </button>
        </div>
      </form>
    </Modal>
  );
}

interface NamePhoneProps {
  fullName: string;
  setFullName: (v: string) => void;
  phone: string;
  setPhone: (v: string) => void;
  email: string;
  setEmail: (v: string) => void;
}

/** Full name, phone and e-mail (where notifications go), for the create and edit forms. */
function NamePhone({ fullName, setFullName, phone, setPhone, email, setEmail }: NamePhoneProps) {
  const t = useT(S);
  return (
    <>
      <Field label={t('fullName')} hint={t('fullNameHint')}>
        <input name="fullName" autoComplete="off" maxLength={100} value={fullName} onInput={(e) => setFullName((e.target as HTMLInputElement).value)} data-testid="user-full-name-input" />
      </Field>
      <Field label={t('phone')} hint={t('phoneHint')}>
        <input name="phone" type="tel" inputMode="tel" autoComplete="off" maxLength={32} value={phone} onInput={(e) => setPhone((e.target as HTMLInputElement).value)} data-testid="user-phone-input" />
      </Field>
      <Field label={t('email')} hint={t('emailHint')}>
        <input name="email" type="email" inputMode="email" autoComplete="off" maxLength={254} value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} data-testid="user-email-input" />
      </Field>
    </>
  );
}

/** "The user must change this password": on by default whenever an administrator sets one. */
function MustChange({ value, onChange }: { value: boolean; onChange: (v: boolean) => void }) {
  const t = useT(S);
  return (
    <label style={{ display: 'flex', gap: '.5rem', alignItems: 'flex-start', marginBottom: '.75rem' }}>
      <input type="checkbox" checked={value} onChange={(e) => onChange((e.target as HTMLInputElement).checked)} data-testid="user-must-change-input" />
      <span>
        {t('mustChange')}
        <br />
        <span class="muted small">{t('mustChangeHint')}</span>
      </span>
    </label>
  );
}
