import { useMemo, useState } from 'preact/hooks';
import { get, patch, post } from '../api.js';
import { fmtDateTime } from '../format.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import type { DeviceView, GroupView, TagRuleView } from '@loa/shared/rest';
import { Badge, Empty, ErrorBox, Field, Loading, Modal, areaName, useAreas, useAsync } from '../ui.js';
import { TAG_RE, fold, splitTags } from './fleet-common.js';

/** GET /api/v1/groups */
type Group = GroupView;
type TagRule = TagRuleView;

const S = defineStrings({
  vi: {
    intro: 'Nhóm gồm danh sách thiết bị cố định và/hoặc quy tắc theo nhãn. Thiết bị được gắn nhãn sau này tự vào nhóm; sửa nhóm sẽ chuyển các lượt phát sắp tới của lịch nhắm vào nhóm sang thành viên mới.',
    new: 'Tạo nhóm',
    name: 'Tên nhóm',
    namePh: 'Ví dụ: Loa khu chợ',
    static: 'Thiết bị chọn sẵn',
    rule: 'Quy tắc nhãn',
    members: 'Thành viên hiện tại',
    updated: 'Cập nhật',
    ruleAll: 'có tất cả: {tags}',
    ruleAny: 'có một trong: {tags}',
    none: '—',
    createTitle: 'Tạo nhóm thiết bị',
    editTitle: 'Sửa nhóm {name}',
    pickDevices: 'Chọn thiết bị',
    search: 'Tìm theo mã, tên hoặc địa bàn',
    onlySelected: 'Chỉ hiện thiết bị đã chọn',
    selectedN: 'Đã chọn {n}',
    clearSel: 'Bỏ chọn tất cả',
    selectShown: 'Chọn {n} thiết bị đang hiện',
    shownOf: 'Hiện {shown}/{total}; hãy tìm để thu hẹp.',
    ruleTitle: 'Quy tắc theo nhãn (không bắt buộc)',
    allTags: 'Có TẤT CẢ các nhãn',
    anyTags: 'Có ÍT NHẤT MỘT nhãn',
    tagsHint: 'Cách nhau bằng dấu cách hoặc dấu phẩy.',
    knownTags: 'Nhãn đang dùng:',
    badTags: 'Nhãn không hợp lệ: {tags}',
    needOne: 'Hãy chọn ít nhất một thiết bị hoặc nhập quy tắc nhãn',
    preview: 'Theo danh sách thiết bị bạn thấy: {n} thiết bị sẽ thuộc nhóm ({s} chọn sẵn, {r} theo nhãn).',
    current: 'Hiện có {n} thành viên.',
    membersTitle: 'Thành viên',
    devicesFailed: 'Không tải được danh sách thiết bị',
    count: '{n} nhóm',
  },
  en: {
    intro: 'A group is a fixed list of devices and/or a tag rule. Devices tagged later join by themselves; editing a group moves the future deliveries of schedules that target it onto its new members.',
    new: 'New group',
    name: 'Name',
    namePh: 'e.g. Market speakers',
    static: 'Listed devices',
    rule: 'Tag rule',
    members: 'Current members',
    updated: 'Updated',
    ruleAll: 'all of: {tags}',
    ruleAny: 'any of: {tags}',
    none: '—',
    createTitle: 'New device group',
    editTitle: 'Edit group {name}',
    pickDevices: 'Pick devices',
    search: 'Search id, name or area',
    onlySelected: 'Only the selected devices',
    selectedN: '{n} selected',
    clearSel: 'Clear selection',
    selectShown: 'Select the {n} shown',
    shownOf: 'Showing {shown} of {total}; search to narrow.',
    ruleTitle: 'Tag rule (optional)',
    allTags: 'Has ALL of these tags',
    anyTags: 'Has AT LEAST ONE of these tags',
    tagsHint: 'Separated by spaces or commas.',
    knownTags: 'Tags in use:',
    badTags: 'Invalid tags: {tags}',
    needOne: 'Pick at least one device or give a tag rule',
    preview: 'Among the devices you can see: {n} devices would be members ({s} listed, {r} by tag).',
    current: '{n} members now.',
    membersTitle: 'Members',
    devicesFailed: 'The device list could not be loaded',
    count: '{n} groups',
  },
});

const SHOW = 150;

const ruleMatches = (all: string[], any: string[], tags: readonly string[]): boolean =>
  (all.length > 0 || any.length > 0) && all.every((x) => tags.includes(x)) && (any.length === 0 || any.some((x) => tags.includes(x)));

export function GroupsTab() {
  const t = useT(S);
  const c = useCommon();
  const groups = useAsync(() => get<Group[]>('/api/v1/groups'), []);
  const devices = useAsync(() => get<DeviceView[]>('/api/v1/devices'), []);
  const [editing, setEditing] = useState<Group | 'new' | null>(null);
  const rows = [...(groups.data ?? [])].sort((a, b) => a.name.localeCompare(b.name, 'vi'));
  return (
    <div>
      <p class="muted small" style={{ marginTop: 0 }}>
        {t('intro')}
      </p>
      <div class="filters">
        <button type="button" class="primary" onClick={() => setEditing('new')} data-testid="group-new">
          + {t('new')}
        </button>
        <button type="button" onClick={groups.reload}>
          {c('refresh')}
        </button>
        {groups.data ? <span class="muted small">{t('count', { n: rows.length })}</span> : null}
      </div>
      <ErrorBox error={groups.error} />
      <Loading when={groups.loading && !groups.data} />
      {rows.length > 0 ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>{t('name')}</th>
                <th>{t('members')}</th>
                <th>{t('static')}</th>
                <th>{t('rule')}</th>
                <th class="hide-phone">{t('updated')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((g) => (
                <tr key={g.id} data-testid="group-row" data-id={g.id} data-name={g.name} data-members={g.memberCount}>
                  <td class="wrap">
                    <strong>{g.name}</strong>
                  </td>
                  <td>
                    <Badge tone={g.memberCount > 0 ? 'info' : 'muted'}>{g.memberCount}</Badge>
                  </td>
                  <td>{g.deviceIds.length}</td>
                  <td class="wrap">
                    <RuleText rule={g.tagRule} />
                  </td>
                  <td class="hide-phone">{fmtDateTime(g.updatedAt)}</td>
                  <td>
                    <button type="button" onClick={() => setEditing(g)} data-testid="group-edit">
                      {c('edit')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <Empty when={Boolean(groups.data)} />
      )}
      {editing ? (
        <GroupEditor
          group={editing === 'new' ? null : editing}
          devices={devices.data ?? []}
          devicesError={devices.error}
          onClose={() => setEditing(null)}
          onDone={(g) => {
            setEditing(null);
            groups.set((prev) => (prev?.some((x) => x.id === g.id) ? prev.map((x) => (x.id === g.id ? g : x)) : [...(prev ?? []), g]));
          }}
        />
      ) : null}
    </div>
  );
}

function RuleText({ rule }: { rule: TagRule | null }) {
  const t = useT(S);
  if (!rule || ((rule.all?.length ?? 0) === 0 && (rule.any?.length ?? 0) === 0)) return <span class="muted">{t('none')}</span>;
  return (
    <span class="small">
      {rule.all?.length ? <div>{t('ruleAll', { tags: rule.all.join(', ') })}</div> : null}
      {rule.any?.length ? <div>{t('ruleAny', { tags: rule.any.join(', ') })}</div> : null}
    </span>
  );
}

function GroupEditor({ group, devices, devicesError, onClose, onDone }: { group: Group | null; devices: DeviceView[]; devicesError: unknown; onClose: () => void; onDone: (g: Group) => void }) {
  const t = useT(S);
  const c = useCommon();
  const areas = useAreas();
  const [name, setName] = useState(group?.name ?? '');
  const [selected, setSelected] = useState<Set<string>>(() => new Set(group?.deviceIds ?? []));
  const [allText, setAllText] = useState((group?.tagRule?.all ?? []).join(' '));
  const [anyText, setAnyText] = useState((group?.tagRule?.any ?? []).join(' '));
  const [q, setQ] = useState('');
  const [onlySelected, setOnlySelected] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const knownTags = useMemo(() => [...new Set(devices.flatMap((d) => d.tags))].sort(), [devices]);
  const indexed = useMemo(() => devices.map((d) => ({ d, key: fold(`${d.id} ${d.name} ${areaName(areas, d.areaCode)} ${d.areaCode} ${d.tags.join(' ')}`) })), [devices, areas]);
  const filtered = useMemo(() => {
    const needle = fold(q.trim());
    return indexed.filter((x) => (!onlySelected || selected.has(x.d.id)) && (!needle || x.key.includes(needle))).map((x) => x.d);
  }, [indexed, q, onlySelected, selected]);
  // Listed ids the user cannot see (outside the loaded list) still count and are kept.
  const hidden = [...selected].filter((id) => !devices.some((d) => d.id === id));

  const all = splitTags(allText);
  const any = splitTags(anyText);
  const byRule = devices.filter((d) => ruleMatches(all, any, d.tags));
  const union = new Set([...selected, ...byRule.map((d) => d.id)]);

  const toggle = (id: string) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const addTag = (which: 'all' | 'any', tag: string) => {
    const [text, set] = which === 'all' ? [allText, setAllText] : [anyText, setAnyText];
    if (!splitTags(text).includes(tag)) set(`${text.trim()} ${tag}`.trim());
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const bad = [...all, ...any].filter((x) => !TAG_RE.test(x));
    if (bad.length) return setError(new Error(t('badTags', { tags: bad.join(', ') })));
    const hasRule = all.length + any.length > 0;
    if (selected.size === 0 && !hasRule) return setError(new Error(t('needOne')));
    const tagRule = hasRule ? { ...(all.length ? { all } : {}), ...(any.length ? { any } : {}) } : null;
    const deviceIds = [...selected].sort();
    setBusy(true);
    try {
      if (group) onDone(await patch<Group>(`/api/v1/groups/${encodeURIComponent(group.id)}`, { name: name.trim(), deviceIds, tagRule }));
      else onDone(await post<Group>('/api/v1/groups', { name: name.trim(), ...(deviceIds.length ? { deviceIds } : {}), ...(tagRule ? { tagRule } : {}) }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const shown = filtered.slice(0, SHOW);
  return (
    <Modal title={group ? t('editTitle', { name: group.name }) : t('createTitle')} onClose={onClose}>
      <form class="form" onSubmit={(e) => void submit(e)} data-testid="group-form">
        <Field label={t('name')}>
          <input required maxLength={200} value={name} placeholder={t('namePh')} onInput={(e) => setName((e.target as HTMLInputElement).value)} data-testid="group-name" />
        </Field>
        {group ? <p class="muted small" style={{ marginTop: 0 }}>{t('current', { n: group.memberCount })}</p> : null}

        <h3>
          {t('pickDevices')} <span class="muted small">· {t('selectedN', { n: selected.size })}</span>
        </h3>
        {devicesError ? <ErrorBox error={new Error(`${t('devicesFailed')}: ${devicesError instanceof Error ? devicesError.message : String(devicesError)}`)} /> : null}
        <div class="filters" style={{ alignItems: 'center' }}>
          <input type="search" value={q} placeholder={t('search')} style={{ flex: '1 1 12rem' }} onInput={(e) => setQ((e.target as HTMLInputElement).value)} data-testid="group-device-search" />
          <label style={{ display: 'flex', gap: '.4rem', alignItems: 'center' }}>
            <input type="checkbox" checked={onlySelected} onChange={(e) => setOnlySelected((e.target as HTMLInputElement).checked)} />
            <span class="small">{t('onlySelected')}</span>
          </label>
        </div>
        <div class="table-wrap" style={{ maxHeight: '16rem', overflowY: 'auto', marginBottom: '.4rem' }}>
          <table>
            <tbody>
              {shown.map((d) => (
                <tr key={d.id} class="clickable" onClick={() => toggle(d.id)} data-testid="group-device" data-id={d.id}>
                  <td style={{ width: '2rem' }}>
                    <input type="checkbox" checked={selected.has(d.id)} onClick={(e) => e.stopPropagation()} onChange={() => toggle(d.id)} aria-label={d.id} />
                  </td>
                  <td class="wrap">
                    <strong>{d.name}</strong>
                    <div class="muted small">
                      {d.id} · {c(d.kind)}
                      {d.tags.length ? ` · ${d.tags.join(', ')}` : ''}
                    </div>
                  </td>
                  <td class="wrap small">{areaName(areas, d.areaCode)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Empty when={shown.length === 0} />
        </div>
        <div class="row" style={{ marginBottom: '.75rem', alignItems: 'center' }}>
          {filtered.length > SHOW ? <span class="muted small">{t('shownOf', { shown: SHOW, total: filtered.length })}</span> : null}
          {q.trim() && filtered.length > 0 && filtered.length <= 500 ? (
            <button type="button" onClick={() => setSelected((prev) => new Set([...prev, ...filtered.map((d) => d.id)]))}>
              {t('selectShown', { n: filtered.length })}
            </button>
          ) : null}
          {selected.size > 0 ? (
            <button type="button" class="ghost" onClick={() => setSelected(new Set())}>
              {t('clearSel')}
            </button>
          ) : null}
          {hidden.length > 0 ? <span class="muted small">+ {hidden.join(', ')}</span> : null}
        </div>

        <h3>{t('ruleTitle')}</h3>
        <div class="row">
          <Field label={t('allTags')} hint={t('tagsHint')}>
            <input value={allText} onInput={(e) => setAllText((e.target as HTMLInputElement).value)} data-testid="group-rule-all" />
          </Field>
          <Field label={t('anyTags')} hint={t('tagsHint')}>
            <input value={anyText} onInput={(e) => setAnyText((e.target as HTMLInputElement).value)} data-testid="group-rule-any" />
          </Field>
        </div>
        {knownTags.length > 0 ? (
          <p class="small" style={{ marginTop: 0, display: 'flex', flexWrap: 'wrap', gap: '.3rem', alignItems: 'center' }}>
            <span class="muted">{t('knownTags')}</span>
            {knownTags.slice(0, 40).map((tag) => (
              <button key={tag} type="button" class="ghost" style={{ minHeight: 0, padding: '.1rem .4rem', border: '1px solid var(--line)' }} title={`+ ${t('anyTags')}`} onClick={() => addTag('any', tag)}>
                {tag}
              </button>
            ))}
          </p>
        ) : null}
        <p class="small" data-testid="group-preview" data-count={union.size}>
          {t('preview', { n: union.size, s: selected.size, r: byRule.length })}
        </p>
        <ErrorBox error={error} />
        <div class="row">
          <button type="submit" class="primary" disabled={busy} data-testid="group-save">
            {busy ? c('loading') : c('save')}
          </button>
          <button type="button" onClick={onClose}>
            {c('cancel')}
          </button>
        </div>
      </form>
    </Modal>
  );
}
