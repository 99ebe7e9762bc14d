import type { FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { post } from './api.js';
import { setLang, useCommon, useLang } from './i18n.js';
import { startLive, useLiveStatus } from './live.js';
import { href, useRoute, type Route } from './router.js';
import { loadSession, onSessionChange, saveSession, type Role, type Session } from './session.js';
import { LoginPage } from './pages/login.js';
import { ForcedPasswordPage, mustChangePassword, PasswordPage } from './pages/password.js';
import { OverviewPage } from './pages/overview.js';
import { DevicesPage } from './pages/devices.js';
import { DevicePage } from './pages/device.js';
import { ContentsPage } from './pages/contents.js';
import { ApprovalsPage } from './pages/approvals.js';
import { SchedulesPage } from './pages/schedules.js';
import { DeliveriesPage } from './pages/deliveries.js';
import { UsersPage } from './pages/users.js';
import { AreasPage } from './pages/areas.js';
import { AuditPage } from './pages/audit.js';
import { AlertsPage } from './pages/alerts.js';
import { FleetPage } from './pages/fleet.js';
import { ReportsPage } from './pages/reports.js';
import { SourceSystemPage } from './pages/source-system.js';
import { CapSourcesPage } from './pages/cap-sources.js';
import { TtsDictionaryPage } from './pages/tts-dictionary.js';
import { OtaPage, OtaRolloutPage } from './pages/ota.js';
import { FeedbackPage } from './pages/feedback.js';
import { FeedbackBadge } from './pages/feedback-common.js';
import { AlertDetailPage } from './pages/alert-detail.js';
import { AlertBanner } from './components/alert-banner.js';
import { PracticeBanner, PracticeEntry } from './components/practice-banner.js';
import { ApprovalsBadge } from './components/approvals-badge.js';
import { NotificationBell } from './components/notification-bell.js';
import { LivePage } from './pages/live.js';
import { CommunePage } from './pages/commune.js';
import { LessonsPage } from './training/lessons-page.js';
import { ClassesPage } from './training/classes-page.js';
import { GuidePanel } from './training/guide-panel.js';
import { can } from './capabilities.js';
import type { Capability } from '@loa/shared/rest';

/** What every page gets: the route (parts after its own prefix are its parameters) and the signed-in user. */
export interface PageProps {
  route: Route;
  session: Session;
}

interface Nav {
  path: string;
  label: Parameters<ReturnType<typeof useCommon>>[0];
  roles: Role[];
  page: FunctionComponent<PageProps>;
  /** Shown in the menu (detail pages are reached by links). */
  menu: boolean;
  /** A live count beside the menu entry. */
  badge?: FunctionComponent;
  /** Issue 19: shown (and opened) only when the user may do this (`user.can`, from the server). */
  can?: Capability;
}

const EVERYONE: Role[] = ['admin', 'operator', 'approver', 'commune_officer'];
const STAFF: Role[] = ['admin', 'operator', 'approver'];

/** Longest prefix wins: '/devices/:id' before '/devices'. */
const NAV: Nav[] = [
  { path: '/', label: 'overview', roles: EVERYONE, page: OverviewPage, menu: true },
  // Issue 19: the commune officer's own page, and its landing page.
  { path: '/commune', label: 'commune', roles: ['commune_officer'], page: CommunePage, menu: true },
  { path: '/devices', label: 'devices', roles: EVERYONE, page: DevicesPage, menu: true },
  { path: '/device', label: 'devices', roles: EVERYONE, page: DevicePage, menu: false },
  { path: '/contents', label: 'contents', roles: STAFF, page: ContentsPage, menu: true, can: 'readContents' },
  { path: '/schedules', label: 'schedules', roles: EVERYONE, page: SchedulesPage, menu: true },
  { path: '/deliveries', label: 'deliveries', roles: EVERYONE, page: DeliveriesPage, menu: true },
  { path: '/alerts', label: 'alerts', roles: STAFF, page: AlertsPage, menu: true },
  { path: '/alert', label: 'alerts', roles: EVERYONE, page: AlertDetailPage, menu: false },
  { path: '/live', label: 'liveVoice', roles: ['admin', 'operator'], page: LivePage, menu: true, can: 'liveVoice' },
  { path: '/approvals', label: 'approvals', roles: STAFF, page: ApprovalsPage, menu: true, badge: ApprovalsBadge },
  { path: '/fleet', label: 'fleet', roles: ['admin', 'operator'], page: FleetPage, menu: true, can: 'manageDevices' },
  { path: '/users', label: 'users', roles: ['admin'], page: UsersPage, menu: true },
  { path: '/feedback', label: 'feedback', roles: EVERYONE, page: FeedbackPage, menu: true, badge: FeedbackBadge },
  { path: '/reports', label: 'reports', roles: EVERYONE, page: ReportsPage, menu: true },
  { path: '/areas', label: 'areas', roles: EVERYONE, page: AreasPage, menu: true },
  { path: '/source-system', label: 'sourceSystem', roles: ['admin', 'operator'], page: SourceSystemPage, menu: true },
  { path: '/cap', label: 'capSources', roles: ['admin'], page: CapSourcesPage, menu: true },
  { path: '/tts-dictionary', label: 'ttsDictionary', roles: ['admin'], page: TtsDictionaryPage, menu: true },
  { path: '/ota', label: 'agentUpdates', roles: ['admin'], page: OtaPage, menu: true },
  { path: '/ota-rollout', label: 'agentUpdates', roles: ['admin'], page: OtaRolloutPage, menu: false },
  { path: '/audit', label: 'audit', roles: ['admin', 'approver'], page: AuditPage, menu: true },
  { path: '/password', label: 'password', roles: EVERYONE, page: PasswordPage, menu: false },
  // Issue 21: lessons in practice mode, and training classes.
  { path: '/lessons', label: 'lessons', roles: EVERYONE, page: LessonsPage, menu: true },
  { path: '/training-classes', label: 'trainingClasses', roles: ['admin', 'operator'], page: ClassesPage, menu: true },
];

/** The role admits the page and, when it names one, the user has its capability. */
const opens = (n: Nav, session: Session): boolean => n.roles.includes(session.user.role) && (n.can === undefined || can(session.user, n.can));

const match = (route: Route): Nav | undefined =>
  NAV.filter((n) => n.path === '/' ? route.path === '/' : route.path === n.path || route.path.startsWith(`${n.path}/`)).sort((a, b) => b.path.length - a.path.length)[0];

export function App() {
  const [session, setSession] = useState<Session | null>(loadSession);
  useEffect(() => onSessionChange(setSession), []);
  // The event stream waits for a forced password change too (the server would refuse it).
  const ready = session !== null && !mustChangePassword(session);
  useEffect(() => {
    if (ready) startLive();
  }, [ready]);
  useLang(); // re-render everything on a language switch
  if (!session) return <LoginPage />;
  // Issue 19: after an administrator set the password, nothing but changing it (the server enforces the same).
  if (mustChangePassword(session)) return <ForcedPasswordPage session={session} />;
  return <Shell session={session} />;
}

function Shell({ session }: { session: Session }) {
  const route = useRoute();
  const c = useCommon();
  const lang = useLang();
  const live = useLiveStatus();
  const [menuOpen, setMenuOpen] = useState(false);
  const nav = match(route);
  const allowed = nav && opens(nav, session);
  const Page = allowed ? nav.page : null;
  useEffect(() => setMenuOpen(false), [route.path]);
  // Issue 19: a commune officer lands on its commune's page (a link or a reload keeps its own page).
  useEffect(() => {
    if (session.user.role === 'commune_officer' && (location.hash === '' || location.hash === '#')) location.replace('#/commune');
  }, []);
  const logout = () => {
    void post('/api/v1/auth/logout').catch(() => undefined).finally(() => saveSession(null));
  };
  return (
    <div class="shell">
      <header class="topbar">
        <button type="button" class="ghost menu-toggle" aria-label={c('menu')} aria-expanded={menuOpen} onClick={() => setMenuOpen(!menuOpen)}>
          ☰
        </button>
        <a class="brand" href={href('/')}>
          Loa
        </a>
        <span class={`live-dot ${live ? 'up' : 'down'}`} title={live ? c('live') : c('reconnecting')} data-testid="live-status" data-live={live ? 'up' : 'down'} />
        <span class="spacer" />
        <NotificationBell />
        <PracticeEntry />
        <button type="button" class="ghost" onClick={() => setLang(lang === 'vi' ? 'en' : 'vi')} data-testid="lang-switch">
          {c('language')}
        </button>
        <a class="user" href={href('/password')} title={c('password')}>
          {session.user.username} · {c(`role_${session.user.role}`)}
        </a>
        <button type="button" class="ghost" onClick={logout} data-testid="logout">
          {c('logout')}
        </button>
      </header>
      <nav class={`sidenav ${menuOpen ? 'open' : ''}`}>
        {NAV.filter((n) => n.menu && opens(n, session)).map((n) => (
          <a key={n.path} href={href(n.path)} class={nav?.path === n.path ? 'active' : ''} data-nav={n.path}>
            {c(n.label)}
            {n.badge ? <n.badge /> : null}
          </a>
        ))}
      </nav>
      <main class="content">
        <PracticeBanner />
        <AlertBanner />
        {Page ? <Page route={route} session={session} /> : <p class="muted">404</p>}
        <GuidePanel />
      </main>
    </div>
  );
}
