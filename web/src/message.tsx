import { Component, createContext, h } from 'preact';
import { useContext, useState } from 'preact/hooks';
import { ApiError, type Message } from './api';
import { useStoa } from './app';
import { highlight, linkify, mentions, nameOf, when } from './text';
import { number, t } from './i18n';

function Marked({ text, terms }: { text: string; terms: readonly string[] }) {
  return <>{highlight(text, terms).map((p, i) => (p.marked ? <mark key={i}>{p.text}</mark> : p.text))}</>;
}

/**
 * Who the people named in messages are, where the page knows them (a room's participants
 * and authors): @mentions show their display names, and the signed-in user's own are
 * marked. Elsewhere a mention shows its address.
 */
export const People = createContext<{ names: ReadonlyMap<string, string>; me: string }>({ names: new Map(), me: '' });

/** Message text as text nodes, safe links and @mentions, search terms marked: never markup. */
export function RichText({ text, terms = [] }: { text: string; terms?: readonly string[] }) {
  const people = useContext(People);
  return (
    <>
      {mentions(linkify(text)).map((part, i) =>
        part.kind === 'link' ? (
          <a key={i} href={part.href} target="_blank" rel="noopener noreferrer nofollow">
            <Marked text={part.text} terms={terms} />
          </a>
        ) : part.kind === 'mention' ? (
          <span key={i} class={part.address === people.me ? 'mention me' : 'mention'} title={part.address} data-testid="mention">
            @{people.names.get(part.address) ?? part.address}
          </span>
        ) : (
          <Marked key={i} text={part.text} terms={terms} />
        ),
      )}
    </>
  );
}

const size = (bytes: number) =>
  bytes < 1024 ? t('file.bytes', { size: bytes }) : bytes < 1024 * 1024 ? t('file.kb', { size: number(bytes / 1024, { maximumFractionDigits: 1 }) }) : t('file.mb', { size: number(bytes / 1024 / 1024, { maximumFractionDigits: 1 }) });

interface MessageProps {
  message: Message;
  own: boolean;
  terms?: readonly string[];
  showRoom?: boolean;
  target?: boolean;
  continues?: boolean;
  grouped?: boolean;
}

/**
 * A message renders again only when what it shows changed: scrolling a long room re-renders
 * the room, not the hundreds of messages in it (their text is parsed for links and mentions).
 */
export class MessageItem extends Component<MessageProps> {
  override shouldComponentUpdate(next: MessageProps): boolean {
    const now = this.props as MessageProps & Record<string, unknown>;
    const then = next as MessageProps & Record<string, unknown>;
    const keys = new Set([...Object.keys(now), ...Object.keys(then)]);
    for (const key of keys) if (key !== 'children' && now[key] !== then[key]) return true;
    return false;
  }

  override render() {
    return h(MessageView, this.props);
  }
}

/** Messages shown as one group: the same author, plain posts, within five minutes of each other. */
export function sameGroup(a: Message | undefined, b: Message | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (a.author !== b.author || a.alert || b.alert || a.story !== null || b.story !== null) return false;
  const gap = Date.parse(b.postedAt) - Date.parse(a.postedAt);
  return gap >= 0 && gap <= 5 * 60_000;
}

/**
 * One message: author and time; alerts marked; stories with their title; a file to download.
 * A message that `continues` its author's group shows no byline (its author stays for screen
 * readers, its time on hover and focus); `grouped` marks one that the next message continues.
 */
export function MessageView({
  message: m,
  own,
  terms,
  showRoom,
  target,
  continues = false,
  grouped = false,
}: MessageProps) {
  const { api } = useStoa();
  const [error, setError] = useState<string | null>(null);
  const download = async () => {
    try {
      const ticket = await api.request<{ url: string }>('POST', `/files/${encodeURIComponent(m.file!.id)}/download`);
      location.assign(ticket.url);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
  const classes = ['message', m.alert ? 'alert' : '', m.story !== null ? 'story' : '', own ? 'own' : '', target === true ? 'target' : '', continues ? 'continues' : '', grouped ? 'grouped' : '']
    .filter(Boolean)
    .join(' ');
  return (
    <li class={classes} data-chat-id={m.chatId} data-testid="message">
      {continues ? (
        <div class="byline">
          <span class="sr-only">{nameOf(m)}</span>
          <time dateTime={m.postedAt} class="quiet">
            {when(m.postedAt)}
          </time>
          {m.replaced && <span class="tag">{t('message.replaced')}</span>}
        </div>
      ) : (
      <div class="byline">
        <span class="author" title={m.author}>
          {nameOf(m)}
        </span>
        <time dateTime={m.postedAt}>{when(m.postedAt)}</time>
        {showRoom === true && (
          <a href={`#/room/${encodeURIComponent(m.roomId)}?at=${m.chatId}`} class="in-room">
            {t('message.inRoom', { room: m.room })}
          </a>
        )}
        {m.alert && <span class="tag alert-tag">{t('message.alert')}</span>}
        {m.replaced && <span class="tag">{t('message.replaced')}</span>}
      </div>
      )}
      {m.story !== null ? (
        <article>
          <h3 class="story-title">
            <Marked text={m.story.title} terms={terms ?? []} />
          </h3>
          <div class="text">
            <RichText text={m.text} terms={terms ?? []} />
          </div>
        </article>
      ) : m.file !== null && m.text.trim() === m.file.name ? null : (
        // A file posted without words carries its name as its text: shown once, as the file.
        <div class="text">
          <RichText text={m.text} terms={terms ?? []} />
        </div>
      )}
      {m.file !== null && (
        <div class="file">
          <button type="button" class="link" onClick={() => void download()} data-testid="download">
            {m.file.name}
          </button>{' '}
          <span class="hint">{size(m.file.size)}</span>
          {error !== null && <span class="error"> {error}</span>}
        </div>
      )}
    </li>
  );
}
