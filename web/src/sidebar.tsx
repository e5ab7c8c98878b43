import { useEffect, useRef, useState } from 'preact/hooks';
import type { Invitation, RoomSummary } from './api';
import { useStoa } from './app';
import { BRAND, t, tn } from './i18n';
import { LanguagePicker } from './language';

/** The page's own title; with unread messages in followed rooms it starts with their count. */
const TITLE = BRAND;

/**
 * Followed rooms with unread counts, the user's rooms, and invitations. Read when the page
 * opens and when the live connection (re)opens; then kept by what the server pushes: a
 * post in a followed room (room.activity), a room followed, unfollowed or read on any
 * device (follow.changed), invitations, kicks and notifications. No polling.
 */
export function Sidebar({ current, open = false }: { current: string | null; open?: boolean }) {
  const { api, live, refreshTick, session } = useStoa();
  const [followed, setFollowed] = useState<RoomSummary[] | null>(null);
  const [mine, setMine] = useState<RoomSummary[]>([]);
  const [invitations, setInvitations] = useState<Invitation[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  // The room on screen (its posts are read as they come), and the newest post counted per room.
  const onScreen = useRef(current);
  onScreen.current = current;
  const counted = useRef(new Map<string, number>());

  useEffect(() => {
    let stale = false;
    Promise.all([api.get<RoomSummary[]>('/rooms/followed'), api.get<RoomSummary[]>('/rooms/mine'), api.get<Invitation[]>('/invitations')])
      .then(([f, m, i]) => {
        if (stale) return;
        counted.current.clear();
        setFollowed(f);
        setMine(m);
        setInvitations(i);
        setError(null);
      })
      .catch((err: Error) => !stale && setError(err.message));
    return () => {
      stale = true;
    };
  }, [api, refreshTick, tick]);

  useEffect(() => {
    const off = live.on((f) => {
      if (f.type === 'room.activity') {
        if (f.room === onScreen.current || f.author === session.user.sipUri || f.chatId <= (counted.current.get(f.room) ?? 0)) return;
        counted.current.set(f.room, f.chatId);
        setFollowed((list) => list?.map((r) => (r.id === f.room ? { ...r, unread: (r.unread ?? 0) + 1 } : r)) ?? list);
        return;
      }
      if (f.type === 'room.changed') {
        // Renamed or moved by someone: changed in place. Everyone in the room hears this at
        // once, so it must not send them all back to the server.
        const { name, category, privacy, type } = f.settings;
        const apply = (r: RoomSummary) => (r.id === f.room ? { ...r, name, category, privacy, type } : r);
        setFollowed((list) => list?.map(apply) ?? list);
        setMine((list) => list.map(apply));
        setInvitations((list) => list.map((i) => ({ ...i, room: apply(i.room) })));
        return;
      }
      // A new connection (after a restart, a network cut) may have missed pushes: read afresh.
      if (f.type === 'ready' || f.type === 'follow.changed' || f.type === 'invitation' || f.type === 'invitation.accepted' || f.type === 'room.kicked' || f.type === 'rooms.changed' || f.type === 'notification') setTick((t) => t + 1);
    });
    return off;
  }, [live, session]);

  // The tab says how many messages wait in followed rooms.
  const unread = (followed ?? []).reduce((n, r) => n + (r.id === current ? 0 : (r.unread ?? 0)), 0);
  useEffect(() => {
    document.title = unread > 0 ? `(${unread > 99 ? '99+' : unread}) ${TITLE}` : TITLE;
  }, [unread]);

  // A room is listed once: followed, else under its invitation until visited, else under My rooms.
  const followedIds = new Set((followed ?? []).map((r) => r.id));
  const invited = invitations.filter((i, at) => !followedIds.has(i.room.id) && invitations.findIndex((j) => j.room.id === i.room.id) === at);
  const listed = new Set([...followedIds, ...invited.map((i) => i.room.id)]);
  const link = (r: RoomSummary, unread?: number) => (
    <li key={r.id}>
      <a href={`#/room/${encodeURIComponent(r.id)}`} aria-current={r.id === current ? 'page' : undefined} class={unread !== undefined && unread > 0 ? 'unread' : undefined}>
        <span class="room-name">{r.name}</span>
        {unread !== undefined && unread > 0 && (
          <span class="badge" aria-label={tn('sidebar.unread', unread)}>
            {unread > 99 ? '99+' : unread}
          </span>
        )}
      </a>
    </li>
  );
  return (
    <nav class={open ? 'sidebar open' : 'sidebar'} id="rooms-drawer" aria-label={t('app.rooms')}>
      {error !== null && <p class="error">{error}</p>}
      <h2>{t('sidebar.followed')}</h2>
      {followed !== null && followed.length === 0 && <p class="hint">{t('sidebar.followHint')}</p>}
      <ul data-testid="followed">{(followed ?? []).map((r) => link(r, r.unread ?? 0))}</ul>
      {invited.length > 0 && (
        <>
          <h2>{t('sidebar.invitations')}</h2>
          <ul data-testid="invitations">{invited.map((i) => link(i.room))}</ul>
        </>
      )}
      {mine.some((r) => !listed.has(r.id)) && (
        <>
          <h2>{t('sidebar.mine')}</h2>
          <ul data-testid="mine">{mine.filter((r) => !listed.has(r.id)).map((r) => link(r))}</ul>
        </>
      )}
      <ul class="sidebar-links">
        <li>
          <a href="#/directory">{t('sidebar.directory')}</a>
        </li>
        <li>
          <a href="#/manage">{t('sidebar.manage')}</a>
        </li>
        {session.user.administrator && (
          <li>
            <a href="#/admin">{t('sidebar.admin')}</a>
          </li>
        )}
        <li>
          <LanguagePicker />
        </li>
      </ul>
    </nav>
  );
}
