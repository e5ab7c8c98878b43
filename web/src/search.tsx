import { useEffect, useState } from 'preact/hooks';
import { ApiError, q as enc, type Message } from './api';
import { useStoa } from './app';
import { MessageItem } from './message';
import { searchTerms } from './text';
import { t } from './i18n';


/** History search over every room the user may read, newest first, terms highlighted. */
export function Search({ q }: { q: string }) {
  const { api, session } = useStoa();
  const [text, setText] = useState(q);
  const [results, setResults] = useState<Message[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setText(q), [q]);
  useEffect(() => {
    if (q.trim() === '') return setResults(null);
    let stale = false;
    setError(null);
    api
      .get<{ messages: Message[]; more: boolean }>(`/search?limit=50&q=${enc(q)}`)
      .then((r) => {
        if (stale) return;
        setResults(r.messages);
        setMore(r.more);
      })
      .catch((err: Error) => !stale && setError(err.message));
    return () => {
      stale = true;
    };
  }, [api, q]);
  const next = async () => {
    const last = results?.[results.length - 1];
    if (last === undefined) return;
    try {
      const r = await api.get<{ messages: Message[]; more: boolean }>(`/search?limit=50&q=${enc(q)}&before=${last.id}`);
      setResults([...(results ?? []), ...r.messages]);
      setMore(r.more);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
  const terms = searchTerms(q);
  return (
    <section class="search">
      <h1>{t('app.searchMessages')}</h1>
      <form
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          location.hash = `#/search?q=${encodeURIComponent(text)}`;
        }}
      >
        <input type="search" value={text} onInput={(e) => setText(e.currentTarget.value)} aria-label={t('app.searchMessages')} placeholder={t('search.placeholder')} />
        <button type="submit">{t('common.search')}</button>
      </form>
      <p class="hint">{t('search.operators')}</p>
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {results !== null && results.length === 0 && <p class="hint">{t('search.nothing')}</p>}
      {results !== null && (
        <ol class="messages results" data-testid="results">
          {results.map((m) => (
            <MessageItem key={m.id} message={m} own={m.author === session.user.sipUri} terms={terms} showRoom />
          ))}
        </ol>
      )}
      {more && (
        <button type="button" onClick={() => void next()}>
          {t('search.more')}
        </button>
      )}
    </section>
  );
}
