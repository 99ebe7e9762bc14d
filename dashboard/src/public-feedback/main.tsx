/**
 * The residents' feedback page (issue 17), served at /gop-y/ and reached by /y/<communeCode> (→ /gop-y/?c=<code>).
 * A bundle of its own, apart from the officers' dashboard: no login, no zod, no web fonts, nothing external, light
 * enough for a cheap phone on 3G. `?c=` picks the commune (a search first without it); `#/tra-cuu` is the lookup.
 * Both views stay mounted so that switching between them never loses what the resident typed.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { FeedbackPage } from './form.js';
import { TrackPage, type TrackPrefill } from './track.js';

interface Route {
  view: 'form' | 'track';
  areaCode: string | null;
  /** `?ma=<code>`: the link texted with an answer opens the lookup with the code filled in (the phone is typed). */
  trackingCode: string | null;
}

function currentRoute(): Route {
  const params = new URLSearchParams(location.search);
  const c = params.get('c')?.trim();
  const ma = params.get('ma')?.trim().toUpperCase();
  const track = location.hash.startsWith('#/tra-cuu') || (ma !== undefined && ma !== '' && !location.hash.startsWith('#/'));
  return { view: track ? 'track' : 'form', areaCode: c ? c : null, trackingCode: ma ? ma : null };
}

function App() {
  const [route, setRoute] = useState(currentRoute);
  const [prefill, setPrefill] = useState<TrackPrefill | null>(null);

  useEffect(() => {
    const onChange = () => {
      setRoute(currentRoute());
      window.scrollTo(0, 0);
    };
    addEventListener('hashchange', onChange);
    addEventListener('popstate', onChange);
    return () => {
      removeEventListener('hashchange', onChange);
      removeEventListener('popstate', onChange);
    };
  }, []);

  const chooseCommune = (code: string | null) => {
    history.pushState(null, '', code === null ? location.pathname : `${location.pathname}?c=${encodeURIComponent(code)}`);
    setRoute(currentRoute());
  };
  const openTracking = (p: TrackPrefill) => {
    setPrefill(p);
    location.hash = '#/tra-cuu';
  };

  return (
    <>
      <a class="skip" href="#main">
        Bỏ qua, tới nội dung chính
      </a>
      <header class="top">
        <div class="wrap top-row">
          <span class="brand">Góp ý, phản ánh</span>
          <nav aria-label="Chức năng">
            <a href="#/" aria-current={route.view === 'form' ? 'page' : undefined} data-testid="fb-nav-form">
              Gửi ý kiến
            </a>
            <a href="#/tra-cuu" aria-current={route.view === 'track' ? 'page' : undefined} data-testid="fb-nav-track">
              Tra cứu ý kiến
            </a>
          </nav>
        </div>
      </header>
      <main id="main" class="wrap">
        <div hidden={route.view !== 'form'}>
          <FeedbackPage areaCode={route.areaCode} onCommune={chooseCommune} onTrack={openTracking} />
        </div>
        <div hidden={route.view !== 'track'}>
          <TrackPage prefill={prefill} initialCode={route.trackingCode} active={route.view === 'track'} />
        </div>
      </main>
      <footer class="wrap foot small">Thông tin cá nhân của bạn chỉ dùng để xử lý và trả lời ý kiến (Nghị định 13/2023/NĐ-CP).</footer>
    </>
  );
}

const root = document.getElementById('app');
if (root) {
  root.textContent = ''; // the "loading" line shown until the script runs
  render(<App />, root);
}
