import type { PageProps } from '../app.js';
import { defineStrings, useT } from '../i18n.js';
import { navigate } from '../router.js';
import type { Role } from '../session.js';
import { PageHeader } from '../ui.js';
import { RegisterTab } from './fleet-register.js';
import { EnrolmentsTab } from './fleet-enrolments.js';
import { GroupsTab } from './fleet-groups.js';
import { ProfilesTab } from './fleet-profiles.js';
import { CredentialsTab } from './fleet-credentials.js';

const S = defineStrings({
  vi: {
    title: 'Quản lý thiết bị',
    tab_register: 'Đăng ký thiết bị',
    tab_enrolments: 'Thiết bị chờ nhận',
    tab_groups: 'Nhóm thiết bị',
    tab_profiles: 'Cấu hình bảng tin',
    tab_credentials: 'Mã bí mật thiết bị',
  },
  en: {
    title: 'Fleet admin',
    tab_register: 'Register devices',
    tab_enrolments: 'Enrolments',
    tab_groups: 'Groups',
    tab_profiles: 'Board profiles',
    tab_credentials: 'Device credentials',
  },
});

type Tab = 'register' | 'enrolments' | 'groups' | 'profiles' | 'credentials';

/**
 * Who sees which tab, as the server decides: registration, enrolments and provisioning keys are admin-only routes;
 * groups and credentials are EDITORS (admin, operator); board profiles are read by operators, written by admins.
 */
const TABS: Array<{ id: Tab; roles: Role[] }> = [
  { id: 'register', roles: ['admin'] },
  { id: 'enrolments', roles: ['admin'] },
  { id: 'groups', roles: ['admin', 'operator'] },
  { id: 'profiles', roles: ['admin', 'operator'] },
  { id: 'credentials', roles: ['admin', 'operator'] },
];

export function FleetPage({ route, session }: PageProps) {
  const t = useT(S);
  const role = session.user.role;
  const tabs = TABS.filter((x) => x.roles.includes(role));
  const asked = route.query.get('tab');
  const tab: Tab = tabs.find((x) => x.id === asked)?.id ?? tabs[0]?.id ?? 'groups';
  const isAdmin = role === 'admin';
  const go = (id: Tab) => navigate('/fleet', { tab: id });
  return (
    <section>
      <PageHeader title={t('title')} />
      <div class="tabs" role="tablist" aria-label={t('title')}>
        {tabs.map((x) => (
          <button key={x.id} type="button" role="tab" aria-selected={tab === x.id} class={tab === x.id ? 'active' : ''} style={{ whiteSpace: 'nowrap' }} data-testid={`fleet-tab-${x.id}`} onClick={() => go(x.id)}>
            {t(`tab_${x.id}`)}
          </button>
        ))}
      </div>
      {tab === 'register' ? <RegisterTab /> : null}
      {tab === 'enrolments' ? <EnrolmentsTab /> : null}
      {tab === 'groups' ? <GroupsTab /> : null}
      {tab === 'profiles' ? <ProfilesTab canWrite={isAdmin} /> : null}
      {tab === 'credentials' ? <CredentialsTab initialDevice={route.query.get('device') ?? ''} /> : null}
    </section>
  );
}
