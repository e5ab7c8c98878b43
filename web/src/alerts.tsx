import { useEffect, useState } from 'preact/hooks';
import { ApiError, type Notification } from './api';
import { useStoa } from './app';
import { MessageItem } from './message';
import { field } from './forms';
import { t } from './i18n';

interface Keyword {
  id: number;
  keyword: string;
}
interface Feed {
  id: number;
  name: string;
  query: string;
}

const KIND = (kind: Notification['kind']) => t(`alerts.kind.${kind}`);

/** Mentions, keyword alerts and topic feed hits (live and earlier), and the user's keywords and feeds. */
export function Alerts() {
  const { api, live, session } = useStoa();
  const [items, setItems] = useState<Notification[]>([]);
  const [keywords, setKeywords] = useState<Keyword[]>([]);
  const [feeds, setFeeds] = useState<Feed[]>([]);
  const [error, setError] = useState<string | null>(null);
  const fail = (err: unknown) => setError(err instanceof ApiError ? err.message : String(err));

  useEffect(() => {
    let stale = false;
    Promise.all([api.get<Notification[]>('/notifications?limit=100'), api.get<Keyword[]>('/keywords'), api.get<Feed[]>('/feeds')])
      .then(([n, k, f]) => {
        if (stale) return;
        setItems(n);
        setKeywords(k);
        setFeeds(f);
      })
      .catch(fail);
    const off = live.on((f) => {
      if (f.type === 'notification') setItems((old) => [f.notification as Notification, ...old.filter((n) => n.id !== f.notification.id)]);
    });
    return () => {
      stale = true;
      off();
    };
  }, [api, live]);

  const addKeyword = async (form: HTMLFormElement) => {
    const keyword = field(new FormData(form), 'keyword').trim();
    try {
      const made = await api.request<Keyword>('POST', '/keywords', { keyword });
      setKeywords([...keywords, made]);
      form.reset();
      setError(null);
    } catch (err) {
      fail(err);
    }
  };
  const addFeed = async (form: HTMLFormElement) => {
    const data = new FormData(form);
    try {
      const made = await api.request<Feed>('POST', '/feeds', { name: field(data, 'name').trim(), query: field(data, 'query').trim() });
      setFeeds([...feeds, made]);
      form.reset();
      setError(null);
    } catch (err) {
      fail(err);
    }
  };
  const remove = async (what: 'keywords' | 'feeds', id: number) => {
    try {
      await api.request('DELETE', `/${what}/${id}`);
      if (what === 'keywords') setKeywords(keywords.filter((k) => k.id !== id));
      else setFeeds(feeds.filter((f) => f.id !== id));
    } catch (err) {
      fail(err);
    }
  };

  return (
    <section class="alerts">
      <h1>{t('alerts.title')}</h1>
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="alerts-grid">
        <div>
          {items.length === 0 && <p class="hint">{t('alerts.empty')}</p>}
          <ol class="messages" data-testid="notifications">
            {items.map((n) => (
              <li key={n.id} class="notification">
                <p class="kind">
                  <strong>{KIND(n.kind)}</strong> {n.detail}
                </p>
                <ol class="messages">
                  <MessageItem message={n.message} own={n.message.author === session.user.sipUri} showRoom />
                </ol>
              </li>
            ))}
          </ol>
        </div>
        <aside>
          <h2>{t('alerts.keywords')}</h2>
          <ul class="plain" data-testid="keywords">
            {keywords.map((k) => (
              <li key={k.id}>
                {k.keyword}{' '}
                <button type="button" class="link" onClick={() => void remove('keywords', k.id)} aria-label={t('alerts.removeKeyword', { keyword: k.keyword })}>
                  {t('alerts.remove')}
                </button>
              </li>
            ))}
          </ul>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void addKeyword(e.currentTarget);
            }}
          >
            <input name="keyword" required placeholder={t('alerts.keywordPlaceholder')} aria-label={t('alerts.newKeyword')} />
            <button type="submit">{t('alerts.addKeyword')}</button>
          </form>
          <h2>{t('alerts.feeds')}</h2>
          <ul class="plain" data-testid="feeds">
            {feeds.map((f) => (
              <li key={f.id}>
                <a href={`#/search?q=${encodeURIComponent(f.query)}`}>{f.name}</a> <code>{f.query}</code>{' '}
                <button type="button" class="link" onClick={() => void remove('feeds', f.id)} aria-label={t('alerts.removeFeed', { name: f.name })}>
                  {t('alerts.remove')}
                </button>
              </li>
            ))}
          </ul>
          <form
            class="stack"
            onSubmit={(e) => {
              e.preventDefault();
              void addFeed(e.currentTarget);
            }}
          >
            <input name="name" required placeholder={t('alerts.feedName')} aria-label={t('alerts.feedName')} />
            <input name="query" required placeholder={t('alerts.feedQueryPlaceholder')} aria-label={t('alerts.feedQuery')} />
            <button type="submit">{t('alerts.addFeed')}</button>
          </form>
        </aside>
      </div>
    </section>
  );
}
