import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { get, post } from '../api.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import type { AreaView, DeviceView } from '@loa/shared/rest';
import { Badge, Empty, ErrorBox, Field, Loading, Modal, PageHeader, areaOptions, loadAreas, useAsync } from '../ui.js';
import { ALLOWED_PARENT_LEVELS, AREA_LEVELS, buildTree, useLevelWord, type AreaLevel, type AreaTree } from './admin-common.js';
import { AreaImport } from './admin-area-import.js';

const S = defineStrings({
  vi: {
    title: 'Địa bàn',
    subtitle: 'Cây đơn vị hành chính: tỉnh/thành phố → huyện/quận → xã/phường; từ 2025 xã/phường có thể trực thuộc thẳng tỉnh (chính quyền hai cấp).',
    new: 'Thêm địa bàn',
    addChild: 'Đơn vị trực thuộc',
    expandAll: 'Mở rộng tất cả',
    collapseAll: 'Thu gọn tất cả',
    filter: 'Tìm theo tên hoặc mã',
    devicesN: '{n} thiết bị',
    onlineN: '{n} trực tuyến',
    count: '{n} địa bàn',
    code: 'Mã địa bàn',
    codeHint: 'Mã theo danh mục hành chính (ví dụ 01, 271, 09955): chữ, số, "-" hoặc "_", tối đa 32 ký tự',
    name: 'Tên',
    namePh: 'Ví dụ: Xã Tây Đằng',
    level: 'Cấp',
    parent: 'Trực thuộc',
    noParent: '— Không (cấp cao nhất) —',
    levelHint: 'Dưới {parent} có thể tạo: {levels}',
    rootHint: 'Ở cấp cao nhất chỉ có thể tạo: {levels}',
    noLevel: 'Không thể tạo đơn vị nào dưới {parent}.',
    createdMsg: 'Đã tạo địa bàn {name} ({code}).',
    children: '{n} đơn vị trực thuộc',
    noDevices: 'Không tải được số thiết bị',
  },
  en: {
    title: 'Areas',
    subtitle: 'The administrative tree: province → district → commune; since 2025 a commune may sit directly under its province (two-tier government).',
    new: 'Add area',
    addChild: 'Sub-unit',
    expandAll: 'Expand all',
    collapseAll: 'Collapse all',
    filter: 'Search by name or code',
    devicesN: '{n} devices',
    onlineN: '{n} online',
    count: '{n} areas',
    code: 'Area code',
    codeHint: 'The official code (e.g. 01, 271, 09955): letters, digits, "-" or "_", up to 32 characters',
    name: 'Name',
    namePh: 'e.g. Xã Tây Đằng',
    level: 'Level',
    parent: 'Parent',
    noParent: '— None (top level) —',
    levelHint: 'Under {parent} you can create: {levels}',
    rootHint: 'At the top level you can create: {levels}',
    noLevel: 'Nothing can be created under {parent}.',
    createdMsg: 'Area {name} ({code}) created.',
    children: '{n} sub-units',
    noDevices: 'Device counts could not be loaded',
  },
});

/** Folds case and Vietnamese diacritics so "tay dang" finds "Tây Đằng". */
const fold = (s: string): string =>
  s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase();

interface Counts {
  total: number;
  online: number;
}

/** Devices per area, summed over each subtree (a device counts for its area and every ancestor). */
function subtreeCounts(areas: AreaView[], devices: DeviceView[]): Map<string, Counts> {
  const pathOf = new Map(areas.map((a) => [a.code, a.path]));
  const counts = new Map<string, Counts>();
  for (const d of devices) {
    const path = pathOf.get(d.areaCode);
    const codes = path ? path.split('/').filter(Boolean) : [d.areaCode];
    for (const code of codes) {
      const c = counts.get(code) ?? { total: 0, online: 0 };
      c.total += 1;
      if (d.online) c.online += 1;
      counts.set(code, c);
    }
  }
  return counts;
}

/** Which nodes are open at first: everything for a small tree, the first two levels of a big one. */
function initialOpen(tree: AreaTree, total: number): Set<string> {
  const open = new Set<string>();
  const walk = (a: AreaView, depth: number) => {
    const kids = tree.children.get(a.code);
    if (!kids) return;
    if (total <= 300 || depth < 1) open.add(a.code);
    for (const k of kids) walk(k, depth + 1);
  };
  for (const r of tree.roots) walk(r, 0);
  return open;
}

export function AreasPage({ session }: PageProps) {
  const t = useT(S);
  const c = useCommon();
  const isAdmin = session.user.role === 'admin';
  const [version, setVersion] = useState(0);
  const areas = useAsync(() => loadAreas(version > 0), [version]);
  const devices = useAsync(() => get<DeviceView[]>('/api/v1/devices'), [version]);
  const [open, setOpen] = useState<Set<string> | null>(null);
  const [filter, setFilter] = useState('');
  const [creating, setCreating] = useState<{ parent: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const list = areas.data ?? [];
  const tree = useMemo(() => buildTree(list), [areas.data]);
  const counts = useMemo(() => subtreeCounts(list, devices.data ?? []), [areas.data, devices.data]);
  useEffect(() => {
    if (areas.data && open === null) setOpen(initialOpen(tree, list.length));
  }, [areas.data]);

  // While searching: the matches and their ancestors, all open.
  const visible = useMemo(() => {
    const needle = fold(filter.trim());
    if (!needle) return null;
    const keep = new Set<string>();
    for (const a of list) {
      if (!fold(a.name).includes(needle) && !a.code.toLowerCase().includes(needle)) continue;
      for (const code of a.path.split('/').filter(Boolean)) keep.add(code);
      keep.add(a.code);
    }
    return keep;
  }, [filter, areas.data]);

  const isOpen = (code: string) => visible !== null || (open?.has(code) ?? false);
  const toggle = (code: string) =>
    setOpen((prev) => {
      const next = new Set(prev ?? []);
      if (next.has(code)) next.delete(code);
      else next.add(code);
      return next;
    });
  /** Opens the ancestors of `codes` so freshly created or moved areas are on screen. */
  const reveal = (fresh: AreaView[], codes: string[]) =>
    setOpen((prev) => {
      const next = new Set(prev ?? []);
      const byCode = new Map(fresh.map((a) => [a.code, a]));
      for (const code of codes) {
        const path = byCode.get(code)?.path;
        for (const anc of path ? path.split('/').filter(Boolean).slice(0, -1) : []) next.add(anc);
      }
      return next;
    });

  const refreshAfter = async (codes: string[]) => {
    const fresh = await loadAreas(true);
    reveal(fresh, codes);
    setVersion((v) => v + 1);
  };

  const rows: JSX.Element[] = [];
  const render = (a: AreaView, depth: number) => {
    if (visible && !visible.has(a.code)) return;
    const kids = tree.children.get(a.code) ?? [];
    const expanded = isOpen(a.code);
    rows.push(<AreaNode key={a.code} area={a} depth={depth} kids={kids.length} expanded={expanded} counts={counts.get(a.code)} showCounts={Boolean(devices.data)} onToggle={() => toggle(a.code)} onAdd={isAdmin ? () => setCreating({ parent: a.code }) : undefined} />);
    if (expanded) for (const k of kids) render(k, depth + 1);
  };
  for (const r of tree.roots) render(r, 0);

  return (
    <section>
      <PageHeader title={t('title')}>
        {isAdmin ? (
          <button type="button" class="primary" data-testid="area-new" onClick={() => (setNotice(null), setCreating({ parent: '' }))}>
            + {t('new')}
          </button>
        ) : null}
      </PageHeader>
      <p class="muted small" style={{ marginTop: '-.5rem' }}>
        {t('subtitle')}
      </p>
      <div class="filters">
        <Field label={c('search')}>
          <input type="search" value={filter} placeholder={t('filter')} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} data-testid="area-filter" />
        </Field>
        <button type="button" onClick={() => setOpen(new Set(tree.children.keys()))} disabled={visible !== null}>
          {t('expandAll')}
        </button>
        <button type="button" onClick={() => setOpen(new Set())} disabled={visible !== null}>
          {t('collapseAll')}
        </button>
        <button type="button" onClick={() => void refreshAfter([])}>
          {c('refresh')}
        </button>
      </div>
      {notice ? (
        <p class="ok card" role="status">
          {notice}
        </p>
      ) : null}
      <ErrorBox error={areas.error} />
      <Loading when={areas.loading && !areas.data} />
      {devices.error && areas.data ? <p class="muted small">{t('noDevices')}: {devices.error.message}</p> : null}
      {areas.data ? <p class="muted small">{t('count', { n: list.length })}</p> : null}
      {rows.length > 0 ? (
        <div class="card" role="tree" style={{ padding: '.25rem 0' }} data-testid="area-tree">
          {rows}
        </div>
      ) : (
        <Empty when={Boolean(areas.data)} />
      )}
      {isAdmin ? (
        <AreaImport
          onImported={(codes) => {
            void refreshAfter(codes);
          }}
        />
      ) : null}
      {creating ? (
        <CreateArea
          areas={list}
          parent={creating.parent}
          onClose={() => setCreating(null)}
          onDone={(a) => {
            setCreating(null);
            setNotice(t('createdMsg', { name: a.name, code: a.code }));
            void refreshAfter([a.code]);
          }}
        />
      ) : null}
    </section>
  );
}

function AreaNode({ area, depth, kids, expanded, counts, showCounts, onToggle, onAdd }: { area: AreaView; depth: number; kids: number; expanded: boolean; counts: Counts | undefined; showCounts: boolean; onToggle: () => void; onAdd: (() => void) | undefined }) {
  const t = useT(S);
  const level = useLevelWord();
  const total = counts?.total ?? 0;
  const online = counts?.online ?? 0;
  return (
    <div
      role="treeitem"
      aria-expanded={kids > 0 ? expanded : undefined}
      aria-level={depth + 1}
      data-testid="area-node"
      data-code={area.code}
      data-level={area.level}
      style={{ display: 'flex', alignItems: 'center', gap: '.4rem', flexWrap: 'wrap', padding: '.3rem .75rem', paddingLeft: `calc(.5rem + ${depth * 1.25}rem)`, borderBottom: '1px solid #eef0f2' }}
    >
      {kids > 0 ? (
        <button type="button" class="ghost" onClick={onToggle} aria-label={expanded ? '−' : '+'} title={t('children', { n: kids })} style={{ minHeight: '28px', padding: '0 .35rem', width: '1.8rem', justifyContent: 'center' }} data-testid="area-toggle">
          {expanded ? '▾' : '▸'}
        </button>
      ) : (
        <span style={{ display: 'inline-block', width: '1.8rem' }} />
      )}
      <span style={{ fontWeight: area.level === 'province' || area.level === 'country' ? 700 : depth === 0 ? 600 : 400 }}>{area.name}</span>
      <Badge tone={area.level === 'province' ? 'info' : area.level === 'district' ? 'muted' : area.level === 'commune' ? 'ok' : 'muted'}>{level(area.level)}</Badge>
      <span class="muted small">{area.code}</span>
      <span style={{ flex: 1 }} />
      {showCounts && total > 0 ? (
        <span class="small" title={`${t('devicesN', { n: total })} · ${t('onlineN', { n: online })}`} data-testid="area-devices" data-total={total} data-online={online}>
          <span class="muted">{t('devicesN', { n: total })}</span> <Badge tone={online === total ? 'ok' : online === 0 ? 'bad' : 'warn'}>{t('onlineN', { n: online })}</Badge>
        </span>
      ) : null}
      {onAdd && levelsUnder(area.level).length > 0 ? (
        <button type="button" class="ghost small" onClick={onAdd} title={t('addChild')} aria-label={t('addChild')} style={{ minHeight: '28px', padding: '0 .4rem', color: 'var(--info)' }} data-testid="area-add-child">
          +<span class="hide-phone">&nbsp;{t('addChild')}</span>
        </button>
      ) : null}
    </div>
  );
}

/** The levels that may sit under a parent of `parentLevel` (null: at the top). */
const levelsUnder = (parentLevel: string | null): AreaLevel[] => AREA_LEVELS.filter((l) => ALLOWED_PARENT_LEVELS[l].includes(parentLevel as AreaLevel | null));

/** What most often goes under a unit today: a province holds communes since the 2025 reform. */
const PREFERRED_CHILD: Record<string, AreaLevel> = { country: 'province', province: 'commune', district: 'commune', commune: 'village' };

function CreateArea({ areas, parent: initialParent, onClose, onDone }: { areas: AreaView[]; parent: string; onClose: () => void; onDone: (a: AreaView) => void }) {
  const t = useT(S);
  const c = useCommon();
  const levelWord = useLevelWord();
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const [parent, setParent] = useState(initialParent);
  const parentArea = areas.find((a) => a.code === parent) ?? null;
  const allowed = levelsUnder(parentArea?.level ?? null);
  const preferred = parentArea ? PREFERRED_CHILD[parentArea.level] : 'province';
  const [level, setLevel] = useState<AreaLevel>(preferred && allowed.includes(preferred) ? preferred : (allowed[0] ?? 'province'));
  useEffect(() => {
    if (!allowed.includes(level)) {
      const next = preferred && allowed.includes(preferred) ? preferred : allowed[0];
      if (next) setLevel(next);
    }
  }, [parent]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      onDone(await post<AreaView>('/api/v1/areas', { code: code.trim(), name: name.trim(), level, parentCode: parent || null }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const levelsText = allowed.map(levelWord).join(', ');
  return (
    <Modal title={t('new')} onClose={onClose}>
      <form class="form" onSubmit={submit} data-testid="area-form">
        <Field label={t('parent')}>
          <select value={parent} onChange={(e) => setParent((e.target as HTMLSelectElement).value)} data-testid="area-parent">
            <option value="">{t('noParent')}</option>
            {areaOptions(areas).map((o) => (
              <option key={o.code} value={o.code}>
                {o.label} ({o.code})
              </option>
            ))}
          </select>
        </Field>
        <div class="row">
          <Field label={t('code')} hint={t('codeHint')}>
            <input required pattern="[A-Za-z0-9][A-Za-z0-9_\-]{0,31}" maxLength={32} value={code} onInput={(e) => setCode((e.target as HTMLInputElement).value)} data-testid="area-code" />
          </Field>
          <Field label={t('level')} hint={allowed.length > 0 ? (parentArea ? t('levelHint', { parent: parentArea.name, levels: levelsText }) : t('rootHint', { levels: levelsText })) : undefined}>
            <select value={level} onChange={(e) => setLevel((e.target as HTMLSelectElement).value as AreaLevel)} data-testid="area-level" disabled={allowed.length === 0}>
              {allowed.map((l) => (
                <option key={l} value={l}>
                  {levelWord(l)}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <Field label={t('name')}>
          <input required maxLength={200} value={name} placeholder={t('namePh')} onInput={(e) => setName((e.target as HTMLInputElement).value)} data-testid="area-name" />
        </Field>
        {allowed.length === 0 && parentArea ? <p class="error">{t('noLevel', { parent: parentArea.name })}</p> : null}
        <ErrorBox error={error} />
        <div class="row">
          <button type="submit" class="primary" disabled={busy || allowed.length === 0} data-testid="area-save">
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
