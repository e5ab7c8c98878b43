import { useEffect, useState } from 'preact/hooks';
import { q as enc, type RoomSummary } from './api';
import { useStoa } from './app';
import { RichText } from './message';
import { t, tn } from './i18n';

/** How long typing pauses before the directory is asked. */
const TYPING_PAUSE_MS = 250;

/** The room directory by category, filtered by name (what GET /rooms returns: never a Secret room of others). */
export function Directory({ q }: { q: string }) {
  const { api } = useStoa();
  const [rooms, setRooms] = useState<RoomSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [text, setText] = useState(q);
  // What is searched: the address's query, then what is typed, a moment after the typing stops.
  const [query, setQuery] = useState(q);
  useEffect(() => {
    setText(q);
    setQuery(q);
  }, [q]);
  useEffect(() => {
    if (text === query) return;
    const timer = setTimeout(() => {
      setQuery(text);
      // The address follows (to share or reload), without a history entry per keystroke.
      history.replaceState(null, '', `#/directory${text === '' ? '' : `?q=${encodeURIComponent(text)}`}`);
    }, TYPING_PAUSE_MS);
    return () => clearTimeout(timer);
  }, [text, query]);
  useEffect(() => {
    let stale = false;
    setRooms(null);
    api
      .get<RoomSummary[]>(`/rooms?limit=500${query === '' ? '' : `&q=${enc(query)}`}`)
      .then((r) => !stale && setRooms(r))
      .catch((err: Error) => !stale && setError(err.message));
    return () => {
      stale = true;
    };
  }, [api, query]);
  const byCategory = new Map<string, RoomSummary[]>();
  for (const r of rooms ?? []) byCategory.set(r.category, [...(byCategory.get(r.category) ?? []), r]);
  return (
    <section class="directory">
      <h1>{t('sidebar.directory')}</h1>
      <form
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(text);
          history.replaceState(null, '', `#/directory${text === '' ? '' : `?q=${encodeURIComponent(text)}`}`);
        }}
      >
        <input type="search" value={text} onInput={(e) => setText(e.currentTarget.value)} placeholder={t('directory.placeholder')} aria-label={t('directory.label')} />
        <button type="submit">{t('common.search')}</button>
      </form>
      {error !== null && <p class="error">{error}</p>}
      {rooms === null && error === null && <p class="hint">{t('common.loading')}</p>}
      {rooms !== null && rooms.length === 0 && <p class="hint">{query === '' ? t('directory.none') : t('directory.noMatch', { query })}</p>}
      {[...byCategory.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([category, list]) => (
          <section key={category} class="category">
            <h2>{category}</h2>
            <ul class="room-list" data-testid="directory">
              {list.map((r) => (
                <li key={r.id}>
                  <a href={`#/room/${encodeURIComponent(r.id)}`} class="room-name">
                    {r.name}
                  </a>
                  <span class={`tag ${r.privacy.toLowerCase()}`}>{t(`privacy.${r.privacy}`)}</span>
                  {r.type === 'Auditorium' && <span class="tag auditorium">{t('type.Auditorium')}</span>}
                  <span class="count" title={t('directory.hereTitle')}>
                    {tn('directory.here', r.participants)}
                  </span>
                  {r.description !== '' && (
                    <p class="description">
                      <RichText text={r.description} />
                    </p>
                  )}
                </li>
              ))}
            </ul>
          </section>
        ))}
    </section>
  );
}
