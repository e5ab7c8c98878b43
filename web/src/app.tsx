/**
 * The web client's frame: sign-in, then the shell — a sidebar (followed rooms with unread
 * counts, the user's rooms, invitations) and the main pane chosen by the URL's hash
 * (#/room/<id>, #/directory, ...), so that the back button and links work.
 */
import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useState } from 'preact/hooks';
import { Api, type Session } from './api';
import { Live } from './live';
import { SignIn } from './sign-in';
import { Sidebar } from './sidebar';
import { Directory } from './directory';
import { RoomView } from './room';
import { Search } from './search';
import { Alerts } from './alerts';
import { Manage, RoomSettingsForm } from './manage';
import { Admin } from './admin';
import { TABS, type AdminTab } from './admin-tabs';
import { field } from './forms';
import { BRAND, t, tn } from './i18n';

const STORAGE_KEY = 'stoa.session';

export interface Ctx {
  session: Session;
  api: Api;
  live: Live;
  /** Something in the sidebar may have changed (followed, read, invited). */
  refresh: () => void;
  refreshTick: number;
}

const Context = createContext<Ctx | null>(null);

export function useStoa(): Ctx {
  const ctx = useContext(Context);
  if (ctx === null) throw new Error('useStoa outside the signed-in shell');
  return ctx;
}

function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    return raw === null ? null : (JSON.parse(raw) as Session);
  } catch {
    return null;
  }
}

export type Route = { page: 'home' } | { page: 'room'; id: string; at?: number } | { page: 'directory'; q: string } | { page: 'search'; q: string } | { page: 'alerts' } | { page: 'manage' } | { page: 'settings'; id?: string } | { page: 'admin'; tab: AdminTab };

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const [page, id] = path.split('/');
  const params = new URLSearchParams(query);
  if (page === 'room' && id !== undefined && id !== '') {
    // ?at=<chat id>: opened at that message (a search result, an alert).
    const at = Number(params.get('at'));
    return { page: 'room', id: decodeURIComponent(id), ...(Number.isSafeInteger(at) && at > 0 ? { at } : {}) };
  }
  if (page === 'directory') return { page: 'directory', q: params.get('q') ?? '' };
  if (page === 'search') return { page: 'search', q: params.get('q') ?? '' };
  if (page === 'alerts') return { page: 'alerts' };
  if (page === 'admin') return { page: 'admin', tab: TABS.find(([t]) => t === id)?.[0] ?? 'users' };
  if (page === 'manage') return id === undefined || id === '' ? { page: 'manage' } : id === 'new' ? { page: 'settings' } : { page: 'settings', id: decodeURIComponent(id) };
  return { page: 'home' };
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function App() {
  const [session, setSession] = useState<Session | null>(loadSession);
  const [notice, setNotice] = useState<string | null>(null);
  const signedOut = useCallback((why: string | null) => {
    localStorage.removeItem(STORAGE_KEY);
    setSession(null);
    setNotice(why);
  }, []);
  if (session === null) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(s) => {
          localStorage.setItem(STORAGE_KEY, JSON.stringify(s));
          setNotice(null);
          setSession(s);
        }}
      />
    );
  }
  return <Shell key={session.token} session={session} onSignedOut={signedOut} />;
}

const FINAL_REASONS: Record<number, () => string> = {
  4401: () => t('app.expired'),
  4403: () => t('app.notAllowed'),
  4404: () => t('app.signedOut'),
};

function Shell({ session, onSignedOut }: { session: Session; onSignedOut: (why: string | null) => void }) {
  const api = useMemo(() => new Api(session.token, () => onSignedOut(FINAL_REASONS[4401]!())), [session.token, onSignedOut]);
  const live = useMemo(() => new Live(session.token, (code) => onSignedOut(FINAL_REASONS[code]?.() ?? null)), [session.token, onSignedOut]);
  useEffect(() => () => live.close(), [live]);
  const [up, setUp] = useState(live.up);
  useEffect(() => live.onStatus(setUp), [live]);
  const [refreshTick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((t) => t + 1), []);
  const route = useRoute();
  // On a phone the room list is a drawer over the page: opened by "Rooms", closed by going
  // anywhere (a room picked) or Escape.
  const [drawer, setDrawer] = useState(false);
  useEffect(() => setDrawer(false), [route]);
  useEffect(() => {
    if (!drawer) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setDrawer(false);
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [drawer]);
  // Notifications that arrived while the user was elsewhere: a count beside "Alerts".
  const [unseen, setUnseen] = useState(0);
  const onAlerts = route.page === 'alerts';
  useEffect(() => {
    if (onAlerts) setUnseen(0);
    return live.on((f) => {
      if (f.type === 'notification' && !onAlerts) setUnseen((n) => n + 1);
    });
  }, [live, onAlerts]);
  const ctx = useMemo(() => ({ session, api, live, refresh, refreshTick }), [session, api, live, refresh, refreshTick]);
  const signOut = async () => {
    try {
      await api.signOut();
    } catch {
      // Signed out locally whatever the server said.
    }
    onSignedOut(null);
  };
  return (
    <Context.Provider value={ctx}>
      <div class="shell">
        <header class="topbar">
          <button type="button" class="drawer-toggle" aria-expanded={drawer} aria-controls="rooms-drawer" onClick={() => setDrawer((d) => !d)}>
            {t('app.rooms')}
          </button>
          <a class="brand" href="#/">
            {BRAND}
          </a>
          <TopSearch page="directory" label={t('app.findRoom')} />
          <TopSearch page="search" label={t('app.searchMessages')} />
          <a href="#/alerts" class="alerts-link" data-testid="alerts-link">
            {t('app.alerts')}
            {unseen > 0 && (
              <span class="badge" aria-label={tn('app.newAlerts', unseen)}>
                {unseen}
              </span>
            )}
          </a>
          <span class={up ? 'status up' : 'status down'} role="status" aria-live="polite">
            {up ? t('app.connected') : t('app.connecting')}
          </span>
          <span class="me" data-testid="me">
            {session.user.displayName ?? session.user.sipUri.replace(/^sip:/, '')}
          </span>
          <button type="button" class="link" onClick={() => void signOut()}>
            {t('app.signOut')}
          </button>
        </header>
        <Sidebar current={route.page === 'room' ? route.id : null} open={drawer} />
        <main class="main">
          <Page route={route} />
        </main>
      </div>
    </Context.Provider>
  );
}

/** A search box of the top bar: Enter opens the page for what was typed. */
function TopSearch({ page, label }: { page: 'directory' | 'search'; label: string }) {
  return (
    <form
      class="find"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        location.hash = `#/${page}?q=${encodeURIComponent(field(new FormData(e.currentTarget), 'q'))}`;
      }}
    >
      <input name="q" type="search" placeholder={label} aria-label={label} />
    </form>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'room':
      return <RoomView key={route.id} roomId={route.id} {...(route.at === undefined ? {} : { at: route.at })} />;
    case 'directory':
      return <Directory q={route.q} />;
    case 'search':
      return <Search q={route.q} />;
    case 'alerts':
      return <Alerts />;
    case 'manage':
      return <Manage />;
    case 'admin':
      return <Admin tab={route.tab} />;
    case 'settings':
      return route.id === undefined ? <RoomSettingsForm key="new" /> : <RoomSettingsForm key={route.id} roomId={route.id} />;
    default:
      return <Home />;
  }
}

function Home() {
  return (
    <section class="home">
      <h1>{t('home.title')}</h1>
      <p>
        <span class="wide-only">{t('home.pickLeft')}</span>
        <span class="narrow-only">{t('home.pickDrawer')}</span>
        {t('home.or')}
        <a href="#/directory">{t('home.browse')}</a>
        {t('home.end')}
      </p>
    </section>
  );
}
