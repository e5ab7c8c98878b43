/**
 * One room: joined over the WebSocket (backchat, roster, live messages), history further
 * back over HTTP as the user scrolls up, the composer (plain, alert or story) when the
 * user may post, the roster beside it, follow/unfollow and the read mark.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, type Message, type Participant } from './api';
import { useStoa } from './app';
import type { Joined } from './live';
import { MessageItem, People, RichText, sameGroup } from './message';
import { nameOf, safeHref } from './text';
import { WINDOW_FROM, windowOf } from './window';
import { t, tn } from './i18n';

const PAGE = 50;

function merge(list: Message[], more: Message[]): Message[] {
  const byId = new Map(list.map((m) => [m.id, m]));
  for (const m of more) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => a.chatId - b.chatId);
}

/** Messages loaded on each side of the one a room is opened at. */
const AROUND = 25;

export function RoomView({ roomId, at }: { roomId: string; at?: number }) {
  const { api, live, refresh, session } = useStoa();
  const [joined, setJoined] = useState<Joined | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [kicked, setKicked] = useState<string | null>(null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [participants, setParticipants] = useState<Participant[] | null>(null);
  const [more, setMore] = useState(true);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [following, setFollowing] = useState<boolean | null>(null);
  // Opened at a message (?at=): the history around it, and whether newer ones are not loaded yet.
  const [newer, setNewer] = useState(false);
  const [target, setTarget] = useState<number | null>(null);
  const jumped = useRef(at !== undefined);
  const newerRef = useRef(false);
  newerRef.current = newer;
  const list = useRef<HTMLOListElement>(null);
  const stick = useRef(true);
  const keepFromBottom = useRef<number | null>(null);
  // A long history is windowed: the viewport (kept coarsely: every 200 px scrolled re-renders)
  // and each message's measured height, by chat id.
  const [view, setView] = useState({ top: 0, height: 800 });
  const heights = useRef(new Map<number, number>());
  const [, setMeasured] = useState(0);

  const join = useCallback(async () => {
    try {
      const j = await live.join(roomId);
      setJoined(j);
      setError(null);
      setKicked(null);
      setParticipants(j.participants);
      // Away from the newest (opened at a message), the backchat would leave a gap.
      if (!jumped.current) {
        setMessages((old) => merge(old, j.backchat));
        setMore(j.room.chatHistory && j.backchat.length > 0);
      }
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  }, [live, roomId]);

  useEffect(() => {
    if (live.up) void join();
    const offStatus = live.onStatus((up) => up && void join());
    return () => {
      offStatus();
      live.part(roomId).catch(() => undefined);
    };
  }, [live, roomId, join]);

  useEffect(() => {
    let stale = false;
    api
      .get<{ id: string }[]>('/rooms/followed')
      .then((f) => !stale && setFollowing(f.some((r) => r.id === roomId)))
      .catch(() => undefined);
    return () => {
      stale = true;
    };
  }, [api, roomId]);

  // Opened at a message: the history on both sides of it, the message marked and in view;
  // back to the newest when the address no longer names one.
  useEffect(() => {
    if (joined === null) return;
    let stale = false;
    const base = `/rooms/${encodeURIComponent(roomId)}/messages`;
    if (at === undefined) {
      if (!jumped.current) return;
      jumped.current = false;
      setTarget(null);
      api
        .get<{ messages: Message[]; more: boolean }>(`${base}?limit=${PAGE}`)
        .then((page) => {
          if (stale) return;
          stick.current = true;
          setNewer(false);
          setMessages(page.messages);
          setMore(page.more);
        })
        .catch((err: Error) => !stale && setError(err.message));
    } else {
      jumped.current = true;
      Promise.all([api.get<{ messages: Message[]; more: boolean }>(`${base}?before=${at + 1}&limit=${AROUND}`), api.get<{ messages: Message[]; more: boolean }>(`${base}?after=${at}&limit=${AROUND}`)])
        .then(([before, after]) => {
          if (stale) return;
          stick.current = false;
          setMessages(merge(before.messages, after.messages));
          setMore(before.more);
          setNewer(after.more);
          setTarget(at);
        })
        .catch((err: Error) => !stale && setError(err.message));
    }
    return () => {
      stale = true;
    };
  }, [api, roomId, at, joined !== null]);

  useLayoutEffect(() => {
    if (target === null) return;
    list.current?.querySelector(`[data-chat-id="${target}"]`)?.scrollIntoView({ block: 'center' });
  }, [target]);

  useEffect(
    () =>
      live.on((f) => {
        switch (f.type) {
          case 'message':
            // Past a gap of unloaded newer messages, a live one waits for "Back to the newest".
            if (f.message.roomId === roomId && !newerRef.current) setMessages((old) => merge(old, [f.message]));
            break;
          case 'message.replaced':
            setMessages((old) => merge(old, f.messages.filter((m) => m.roomId === roomId && old.some((o) => o.id === m.id))));
            break;
          case 'message.removed':
            if (f.room === roomId) setMessages((old) => old.filter((m) => !f.messageIds.includes(m.id)));
            break;
          case 'room.cleared':
            if (f.room === roomId) setMessages((old) => old.filter((m) => m.postedAt > f.through));
            break;
          case 'participant.joined':
            if (f.room === roomId) setParticipants((old) => (old === null ? old : [...old.filter((p) => p.sipUri !== f.user.sipUri), f.user]));
            break;
          case 'participant.left':
            if (f.room === roomId) setParticipants((old) => (old === null ? old : old.filter((p) => p.sipUri !== f.user.sipUri)));
            break;
          case 'room.changed':
            // Changed by someone else: shown as it now is.
            if (f.room === roomId) setJoined((j) => (j === null ? j : { ...j, room: { ...j.room, ...f.settings } }));
            break;
          case 'room.kicked':
            // Out of the room: what it holds is no longer this user's to read, nor who is in it.
            if (f.room === roomId) {
              setKicked(f.reason);
              setMessages([]);
              setParticipants((old) => (old === null ? old : []));
              setMore(false);
            }
            break;
        }
      }),
    [live, roomId],
  );

  // Stay at the bottom as messages arrive, unless the user scrolled up to read; one's own
  // new message always brings the view down to it.
  const lastSeen = useRef<number | undefined>(undefined);
  useLayoutEffect(() => {
    const el = list.current;
    if (el === null) return;
    const last = messages[messages.length - 1];
    const ownNew = last !== undefined && last.id !== lastSeen.current && last.author === session.user.sipUri;
    lastSeen.current = last?.id;
    if (keepFromBottom.current !== null) {
      el.scrollTop = el.scrollHeight - keepFromBottom.current;
      keepFromBottom.current = null;
    } else if (stick.current || ownNew) {
      el.scrollTop = el.scrollHeight;
      stick.current = true;
    }
  }, [messages, session.user.sipUri]);

  // Windowed: the rendered messages' heights are measured (from one's top to the next's, so
  // gaps and grouping count), and the spacers follow when any changed.
  useLayoutEffect(() => {
    const el = list.current;
    if (el === null || messages.length <= WINDOW_FROM) return;
    const items = [...el.querySelectorAll<HTMLElement>(':scope > li[data-chat-id]')];
    let changed = false;
    items.forEach((item, i) => {
      const next = items[i + 1];
      const h = next !== undefined ? next.offsetTop - item.offsetTop : item.offsetHeight + parseFloat(getComputedStyle(el).rowGap || '0');
      const chatId = Number(item.dataset.chatId);
      if (h > 0 && Math.abs((heights.current.get(chatId) ?? 0) - h) > 0.5) {
        heights.current.set(chatId, h);
        changed = true;
      }
    });
    if (changed) setMeasured((t) => t + 1);
  });

  // The read mark follows what the user has seen: the last message, while the tab is visible.
  const lastChatId = messages[messages.length - 1]?.chatId;
  useEffect(() => {
    if (lastChatId === undefined || following !== true || document.visibilityState !== 'visible') return;
    const timer = setTimeout(() => {
      api
        .request('POST', `/rooms/${encodeURIComponent(roomId)}/read`, { chatId: lastChatId })
        .then(refresh)
        .catch(() => undefined);
    }, 500);
    return () => clearTimeout(timer);
  }, [api, roomId, lastChatId, following, refresh]);

  const loadOlder = async () => {
    const first = messages[0];
    if (loadingOlder || !more || first === undefined) return;
    setLoadingOlder(true);
    try {
      const page = await api.get<{ messages: Message[]; more: boolean }>(`/rooms/${encodeURIComponent(roomId)}/messages?before=${first.chatId}&limit=${PAGE}`);
      const el = list.current;
      if (el !== null) keepFromBottom.current = el.scrollHeight - el.scrollTop;
      setMessages((old) => merge(old, page.messages));
      setMore(page.more);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setLoadingOlder(false);
    }
  };

  const follow = async (on: boolean) => {
    try {
      await api.request(on ? 'PUT' : 'DELETE', `/rooms/${encodeURIComponent(roomId)}/follow`);
      setFollowing(on);
      refresh();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };

  // The names of the people in the room and of its recent authors, for @mentions (the same
  // object while they are the same: every message reads it).
  const known = useMemo(() => ({ names: knownNames(participants, messages), me: session.user.sipUri.replace(/^sip:/, '').toLowerCase() }), [participants, messages, session.user.sipUri]);
  if (joined === null) {
    return <section class="room">{error !== null ? <p class="error" role="alert">{error}</p> : <p class="hint">{t('room.joining')}</p>}</section>;
  }
  const room = joined.room;
  const windowed = messages.length > WINDOW_FROM;
  let win = { start: 0, end: messages.length, before: 0, after: 0 };
  if (windowed) {
    let sum = 0;
    for (const h of heights.current.values()) sum += h;
    const estimate = heights.current.size > 0 ? sum / heights.current.size : 44;
    const keep = target === null ? -1 : messages.findIndex((m) => m.chatId === target);
    win = windowOf(
      messages.map((m) => heights.current.get(m.chatId) ?? estimate),
      view.top,
      view.height,
      { fromBottom: stick.current, ...(keep >= 0 ? { keep } : {}) },
    );
  }
  return (
    <section class="room" aria-label={room.name}>
      <header class="room-head">
        <div>
          <h1 data-testid="room-name">{room.name}</h1>
          <p class="meta">
            <span>{room.category}</span> · <span class={`tag ${room.privacy.toLowerCase()}`}>{t(`privacy.${room.privacy}`)}</span>
            {room.type === 'Auditorium' && <span class="tag auditorium">{t('type.Auditorium')}</span>}
          </p>
          {room.description !== '' && (
            <p class="description" data-testid="room-description">
              <RichText text={room.description} />
            </p>
          )}
        </div>
        <div class="room-actions">
          {joined.room.canManage && <a href={`#/manage/${encodeURIComponent(roomId)}`}>{t('room.settings')}</a>}
          {following !== null && (
            <button type="button" onClick={() => void follow(!following)} aria-pressed={following}>
              {following ? t('room.following') : t('room.follow')}
            </button>
          )}
        </div>
      </header>
      {kicked !== null && (
        <p class="error" role="alert">
          {t('room.kicked', { reason: kicked })}
        </p>
      )}
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <People.Provider value={known}>
      <div class="room-body">
        <div class="conversation">
          <ol
            class="messages"
            ref={list}
            data-testid="messages"
            aria-live="polite"
            data-count={messages.length}
            onScroll={(e) => {
              const el = e.currentTarget;
              stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
              if (el.scrollTop < 80) void loadOlder();
              if (windowed && (Math.abs(el.scrollTop - view.top) > 200 || el.clientHeight !== view.height)) setView({ top: el.scrollTop, height: el.clientHeight });
            }}
          >
            {more && (
              <li class="older">
                <button type="button" class="link" onClick={() => void loadOlder()} disabled={loadingOlder}>
                  {loadingOlder ? t('common.loading') : t('room.earlier')}
                </button>
              </li>
            )}
            {!joined.room.chatHistory && <li class="hint">{t('room.noHistory')}</li>}
            {messages.length === 0 && !more && kicked === null && (
              <li class="hint empty" data-testid="empty-room">
                {room.canPost ? t('room.emptyPost') : t('room.empty')}
              </li>
            )}
            {win.before > 0 && <li class="spacer" aria-hidden="true" style={{ height: `${win.before}px` }} />}
            {messages.slice(win.start, win.end).map((m, at) => {
              const i = win.start + at;
              return (
                <MessageItem
                  key={m.id}
                  message={m}
                  own={m.author === session.user.sipUri}
                  target={m.chatId === target}
                  continues={sameGroup(messages[i - 1], m)}
                  grouped={sameGroup(m, messages[i + 1])}
                />
              );
            })}
            {win.after > 0 && <li class="spacer" aria-hidden="true" style={{ height: `${win.after}px` }} />}
          </ol>
          {at !== undefined && (
            <p class="jump-back">
              {newer ? t('room.newerHidden') : ''}
              <a href={`#/room/${encodeURIComponent(roomId)}`}>{t('room.backToNewest')}</a>
            </p>
          )}
          {kicked === null && <Composer roomId={roomId} canPost={room.canPost} auditorium={room.type === 'Auditorium'} fileUpload={room.fileUpload} people={people(participants, messages, session.user.sipUri)} />}
        </div>
        <div class="side">
          {room.addin !== null && <Addin addin={room.addin} />}
          {kicked === null && <Roster participants={participants} large={joined.large} count={room.participants} />}
        </div>
      </div>
      </People.Provider>
    </section>
  );
}

function knownNames(participants: Participant[] | null, messages: Message[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const m of messages) if (m.authorName !== '') names.set(m.author.replace(/^sip:/, '').toLowerCase(), m.authorName);
  for (const p of participants ?? []) if (p.displayName !== null && p.displayName !== '') names.set(p.sipUri.replace(/^sip:/, '').toLowerCase(), p.displayName);
  return names;
}

/** Whom the composer offers to @mention: the people in the room and those who wrote recently. */
function people(participants: Participant[] | null, messages: Message[], me: string): Participant[] {
  const byUri = new Map<string, Participant>();
  for (const p of participants ?? []) byUri.set(p.sipUri, p);
  for (const m of messages.slice(-200)) if (!byUri.has(m.author)) byUri.set(m.author, { sipUri: m.author, displayName: m.authorName === '' ? null : m.authorName });
  byUri.delete(me);
  return [...byUri.values()].sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
}

/**
 * The room's add-in: another server's page in a sandboxed frame — it may run its own
 * scripts and forms but never reach this page, its storage or its session.
 */
function Addin({ addin }: { addin: { name: string; url: string } }) {
  const [open, setOpen] = useState(true);
  const src = safeHref(addin.url);
  if (src === undefined || src.startsWith('mailto:')) return null;
  return (
    <section class="addin" aria-label={t('room.addin', { name: addin.name })}>
      <h2>
        <button type="button" class="link" aria-expanded={open} onClick={() => setOpen(!open)}>
          {addin.name}
        </button>
      </h2>
      {open && <iframe src={src} title={t('room.addin', { name: addin.name })} sandbox="allow-scripts allow-forms allow-popups" referrerpolicy="no-referrer" loading="lazy" data-testid="addin" />}
    </section>
  );
}

function Roster({ participants, large, count }: { participants: Participant[] | null; large: boolean; count: number }) {
  return (
    <aside class="roster" aria-label={t('room.participants')}>
      <h2>{t('room.inTheRoom')}</h2>
      {participants === null || large ? (
        <p class="hint">{tn('room.large', count)}</p>
      ) : (
        <ul data-testid="roster">
          {[...participants]
            .sort((a, b) => nameOf(a).localeCompare(nameOf(b)))
            .map((p) => (
              <li key={p.sipUri} title={p.sipUri}>
                {nameOf(p)}
              </li>
            ))}
        </ul>
      )}
    </aside>
  );
}

/** The @word being typed just before the caret, if any: its start and the text after the @. */
export function mentionAt(text: string, caret: number): { start: number; query: string } | undefined {
  const m = /(^|\s)@([^\s@]*(?:@[^\s@]*)?)$/.exec(text.slice(0, caret));
  if (m === null) return undefined;
  return { start: caret - m[2]!.length - 1, query: m[2]!.toLowerCase() };
}

interface Upload {
  file: File;
  state: 'ready' | 'uploading';
}

function Composer({ roomId, canPost, auditorium, fileUpload, people }: { roomId: string; canPost: boolean; auditorium: boolean; fileUpload: boolean; people: Participant[] }) {
  const { api, live } = useStoa();
  const [text, setText] = useState('');
  const [alert, setAlert] = useState(false);
  const [story, setStory] = useState(false);
  const [title, setTitle] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [upload, setUpload] = useState<Upload | null>(null);
  const [mention, setMention] = useState<{ start: number; query: string; active: number } | null>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  // Opening a room puts the cursor in its message box (not on a touch screen, where that
  // would bring the keyboard up unasked).
  useEffect(() => {
    if (canPost && window.matchMedia('(pointer: fine)').matches) box.current?.focus();
  }, [roomId, canPost]);
  if (!canPost) {
    return (
      <p class="composer-off" data-testid="cannot-post">
        {auditorium ? t('room.auditoriumOnly') : t('room.readOnly')}
      </p>
    );
  }
  const candidates =
    mention === null
      ? []
      : people
          .filter((p) => {
            const address = p.sipUri.replace(/^sip:/, '').toLowerCase();
            return address.startsWith(mention.query) || (p.displayName ?? '').toLowerCase().split(/\s+/).some((w) => w.startsWith(mention.query));
          })
          .slice(0, 8);
  const complete = (p: Participant) => {
    if (mention === null) return;
    const insert = `@${p.sipUri.replace(/^sip:/, '')} `;
    const caret = box.current?.selectionStart ?? text.length;
    const next = text.slice(0, mention.start) + insert + text.slice(caret);
    setText(next);
    setMention(null);
    const at = mention.start + insert.length;
    requestAnimationFrame(() => box.current?.setSelectionRange(at, at));
  };
  const uploadFile = async (file: File): Promise<string> => {
    const ticket = await api.request<{ url: string }>('POST', `/rooms/${encodeURIComponent(roomId)}/files`, { name: file.name, size: file.size, ...(file.type === '' ? {} : { contentType: file.type }) });
    const response = await fetch(ticket.url, { method: 'PUT', body: file });
    const body = (await response.json()) as { id?: string; error?: { message: string } };
    if (!response.ok || body.id === undefined) throw new ApiError(response.status, 'UPLOAD', body.error?.message ?? `the upload failed (${response.status})`);
    return body.id;
  };
  const send = async () => {
    if ((text.trim() === '' && upload === null) || busy) return;
    setBusy(true);
    setError(null);
    try {
      let fileId: string | undefined;
      if (upload !== null) {
        setUpload({ ...upload, state: 'uploading' });
        fileId = await uploadFile(upload.file);
      }
      const body = text.trim() === '' && upload !== null ? upload.file.name : text;
      await live.command({ type: 'post', room: roomId, text: body, ...(alert ? { alert: true } : {}), ...(story ? { story: { title } } : {}), ...(fileId === undefined ? {} : { fileId }) });
      setText('');
      setTitle('');
      setStory(false);
      setAlert(false);
      setUpload(null);
    } catch (err) {
      // The text and the file stay: nothing typed or chosen is lost to a refusal.
      setError(err instanceof ApiError ? err.message : String(err));
      setUpload((u) => (u === null ? u : { ...u, state: 'ready' }));
    } finally {
      setBusy(false);
    }
  };
  const listId = `mentions-${roomId}`;
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      {error !== null && (
        <p class="error" role="alert" data-testid="post-error">
          {error}
        </p>
      )}
      {story && <input value={title} onInput={(e) => setTitle(e.currentTarget.value)} placeholder={t('room.storyTitle')} aria-label={t('room.storyTitle')} required maxLength={256} />}
      <div class="mention-anchor">
        {candidates.length > 0 && mention !== null && (
          <ul class="mentions" role="listbox" id={listId} aria-label={t('room.peopleToMention')}>
            {candidates.map((p, i) => (
              <li
                key={p.sipUri}
                id={`${listId}-${i}`}
                role="option"
                aria-selected={i === mention.active}
                onMouseDown={(e) => {
                  e.preventDefault();
                  complete(p);
                }}
              >
                {nameOf(p)} <span class="hint">{p.sipUri.replace(/^sip:/, '')}</span>
              </li>
            ))}
          </ul>
        )}
        <textarea
          ref={box}
          value={text}
          role="combobox"
          aria-expanded={candidates.length > 0}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={candidates.length > 0 && mention !== null ? `${listId}-${mention.active}` : undefined}
          onInput={(e) => {
            const el = e.currentTarget;
            setText(el.value);
            const at = mentionAt(el.value, el.selectionStart);
            setMention(at === undefined ? null : { ...at, active: 0 });
          }}
          onKeyDown={(e) => {
            if (candidates.length > 0 && mention !== null) {
              if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
                e.preventDefault();
                const step = e.key === 'ArrowDown' ? 1 : candidates.length - 1;
                setMention({ ...mention, active: (mention.active + step) % candidates.length });
                return;
              }
              if (e.key === 'Enter' || e.key === 'Tab') {
                e.preventDefault();
                complete(candidates[mention.active]!);
                return;
              }
              if (e.key === 'Escape') {
                e.preventDefault();
                setMention(null);
                return;
              }
            }
            if (e.key === 'Enter' && !e.shiftKey && !story) {
              e.preventDefault();
              void send();
            }
          }}
          placeholder={story ? t('room.story') : t('room.messagePlaceholder')}
          aria-label={t('room.message')}
          rows={story ? 6 : 2}
        />
      </div>
      <div class="composer-actions">
        {fileUpload && (
          <label class="attach">
            {upload === null ? t('room.attach') : upload.state === 'uploading' ? t('room.uploading', { name: upload.file.name }) : t('room.attached', { name: upload.file.name })}
            <input
              type="file"
              aria-label={t('room.attach')}
              onChange={(e) => {
                const file = e.currentTarget.files?.[0];
                setUpload(file === undefined ? null : { file, state: 'ready' });
              }}
            />
          </label>
        )}
        {upload !== null && upload.state === 'ready' && (
          <button type="button" class="link" onClick={() => setUpload(null)}>
            {t('room.removeFile')}
          </button>
        )}
        <label>
          <input type="checkbox" checked={alert} onChange={(e) => setAlert(e.currentTarget.checked)} /> {t('message.alert')}
        </label>
        <label>
          <input type="checkbox" checked={story} onChange={(e) => setStory(e.currentTarget.checked)} /> {t('room.storyBox')}
        </label>
        <button type="submit" disabled={busy || (text.trim() === '' && upload === null)}>
          {t('room.send')}
        </button>
      </div>
    </form>
  );
}
