/**
 * Room management (the legacy room management web site): the rooms the user manages, a
 * room's settings and roles, and creating rooms in the categories the user may create in.
 * The server decides everything; its error messages are shown as they are (the same as
 * the API's and `stoa room new|set`).
 */
import { useEffect, useState } from 'preact/hooks';
import { type RoomSummary } from './api';
import { useStoa } from './app';
import { field } from './forms';
import { PeoplePicker, pickedKeys, plainError } from './people';
import { t } from './i18n';

export interface RoomSettings {
  id: string;
  identity: string;
  name: string;
  description: string;
  category: string;
  type: 'Normal' | 'Auditorium';
  privacy: 'Open' | 'Closed' | 'Secret';
  invitations: 'Inherit' | 'False';
  disabled: boolean;
  addin: string | null;
  members: string[];
  managers: string[];
  presenters: string[];
}

interface Creatable {
  name: string;
  description: string;
  fileUpload: boolean;
  chatHistory: boolean;
  invitations: boolean;
}

const ROLES = ['members', 'managers', 'presenters'] as const;
const roleLabel = (role: (typeof ROLES)[number]) => t(`manage.role.${role}`);

/** The rooms the user manages (every room, for administrators), and the way to create one. */
export function Manage() {
  const { api, session, live } = useStoa();
  const admin = session.user.administrator;
  // Given or losing a role elsewhere: the list is read again.
  const [tick, setTick] = useState(0);
  useEffect(() => live.on((f) => f.type === 'rooms.changed' && setTick((t) => t + 1)), [live]);
  const [managed, setManaged] = useState<RoomSummary[] | null>(null);
  const [creatable, setCreatable] = useState<Creatable[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  useEffect(() => {
    let stale = false;
    api
      .get<Creatable[]>('/categories/creatable')
      .then((c) => !stale && setCreatable(c))
      .catch((err: unknown) => !stale && setError(plainError(err)));
    return () => {
      stale = true;
    };
  }, [api]);
  useEffect(() => {
    let stale = false;
    const timer = setTimeout(() => {
      api
        .get<RoomSummary[]>(`/rooms/managed?limit=500${filter.trim() === '' ? '' : `&q=${encodeURIComponent(filter.trim())}`}`)
        .then((m) => !stale && setManaged(m))
        .catch((err: unknown) => !stale && setError(plainError(err)));
    }, filter === '' ? 0 : 250);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [api, filter, tick]);
  return (
    <section class="manage">
      <h1>{t('sidebar.manage')}</h1>
      {error !== null && <p class="error">{error}</p>}
      {creatable.length > 0 ? (
        <p>
          <a href="#/manage/new" class="button">
            {t('manage.create')}
          </a>
        </p>
      ) : (
        <p class="hint">{t('manage.mayNotCreate')}</p>
      )}
      <h2>{admin ? t('manage.everyRoom') : t('manage.yours')}</h2>
      <input type="search" class="filter" aria-label={t('manage.filterLabel')} placeholder={t('manage.filterPlaceholder')} value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
      {managed !== null && managed.length === 0 && <p class="hint">{filter.trim() === '' ? t('manage.none') : t('manage.noMatch')}</p>}
      <ul class="room-list" data-testid="managed">
        {(managed ?? []).map((r) => (
          <li key={r.id}>
            <a href={`#/manage/${encodeURIComponent(r.id)}`} class="room-name" aria-label={t('manage.settingsOf', { name: r.name })}>
              {r.name}
            </a>
            <span class="hint">{r.category}</span>
            {r.disabled === true && <span class="tag">{t('manage.disabledTag')}</span>}
            <a href={`#/room/${encodeURIComponent(r.id)}`} class="count">
              {t('manage.goTo')}
              <span class="sr-only"> {r.name}</span>
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Creating a room (`roomId` undefined) or editing one's settings and roles. */
export function RoomSettingsForm({ roomId }: { roomId?: string }) {
  const { api, refresh, session } = useStoa();
  const [settings, setSettings] = useState<RoomSettings | null>(null);
  const [creatable, setCreatable] = useState<Creatable[] | null>(null);
  const [addins, setAddins] = useState<{ name: string }[]>([]);
  const [category, setCategory] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const creating = roomId === undefined;

  useEffect(() => {
    let stale = false;
    Promise.all([
      api.get<Creatable[]>('/categories/creatable'),
      api.get<{ name: string }[]>('/addins'),
      creating ? Promise.resolve(null) : api.get<RoomSettings>(`/rooms/${encodeURIComponent(roomId)}/settings`),
    ])
      .then(([c, a, s]) => {
        if (stale) return;
        setCreatable(c);
        setAddins(a);
        setSettings(s);
        setCategory(s?.category ?? c[0]?.name ?? null);
      })
      .catch((err: unknown) => !stale && setError(plainError(err)));
    return () => {
      stale = true;
    };
  }, [api, roomId, creating]);

  const submit = async (form: HTMLFormElement) => {
    const data = new FormData(form);
    const text = (name: string) => field(data, name);
    const body: Record<string, unknown> = {
      name: text('name').trim(),
      description: text('description'),
      category: text('category'),
      privacy: text('privacy'),
      type: text('type'),
      invitations: text('invitations'),
      addin: text('addin').trim() === '' ? null : text('addin').trim(),
    };
    for (const role of ROLES) body[role] = pickedKeys(data, role);
    if (!creating) body.disabled = data.get('disabled') === 'on';
    if (creating) {
      if (body.addin === null) delete body.addin;
      // Left empty, the server's defaults apply (the creator manages the room).
      for (const role of ROLES) if ((body[role] as string[]).length === 0) delete body[role];
    }
    // Only what changed goes to the server, so that its answer speaks of that.
    if (settings !== null) {
      for (const key of Object.keys(body)) if (JSON.stringify(body[key]) === JSON.stringify(settings[key as keyof RoomSettings])) delete body[key];
      if (Object.keys(body).length === 0) return setSaved(t('manage.nothingToChange'));
    }
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      const result = await api.request<RoomSettings>(creating ? 'POST' : 'PATCH', creating ? '/rooms' : `/rooms/${encodeURIComponent(roomId)}`, body);
      refresh();
      if (creating) {
        location.hash = `#/manage/${encodeURIComponent(result.id)}`;
        return;
      }
      setSettings(result);
      setSaved(t('manage.saved'));
    } catch (err) {
      setError(plainError(err));
    } finally {
      setBusy(false);
    }
  };

  if (creatable === null || (!creating && settings === null)) return <section class="manage">{error !== null ? <p class="error">{error}</p> : <p class="hint">{t('common.loading')}</p>}</section>;
  if (creating && creatable !== null && creatable.length === 0) return <section class="manage"><p class="hint">{t('manage.mayNotCreate')}</p></section>;
  const s = settings;
  // A new room has its creator as a member (as the legacy client did): the server makes them
  // a manager, and a manager who is not a member could not enter their own Closed or Secret room.
  const self = session.user.sipUri;
  // A manager may move the room into the categories they may create rooms in.
  const categories = [...creatable.map((c) => c.name)];
  if (s !== null && !categories.includes(s.category)) categories.unshift(s.category);
  const addinNames = addins.map((a) => a.name);
  if (s?.addin != null && !addinNames.includes(s.addin)) addinNames.unshift(s.addin);
  return (
    <section class="manage">
      <h1>{creating ? t('manage.create') : t('manage.settingsOf', { name: s!.name })}</h1>
      {!creating && (
        <p>
          <a href={`#/room/${encodeURIComponent(s!.id)}`}>{t('manage.openRoom')}</a>
        </p>
      )}
      <form
        key={s?.id ?? 'new'}
        class="settings"
        onSubmit={(e) => {
          e.preventDefault();
          void submit(e.currentTarget);
        }}
      >
        <label>
          {t('manage.name')}
          <input name="name" required maxLength={256} defaultValue={s?.name ?? ''} />
        </label>
        <label>
          {t('manage.category')}
          <select name="category" aria-label={t('manage.category')} required value={category ?? ''} onChange={(e) => setCategory(e.currentTarget.value)}>
            {categories.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('manage.description')}
          <textarea name="description" rows={3} defaultValue={s?.description ?? ''} />
        </label>
        <fieldset>
          <legend>{t('manage.privacy')}</legend>
          {(['Open', 'Closed', 'Secret'] as const).map((p) => (
            <label key={p} class="inline">
              <input type="radio" name="privacy" value={p} defaultChecked={(s?.privacy ?? 'Closed') === p} /> {t(`privacy.${p}`)}
            </label>
          ))}
          <p class="hint">{t('manage.privacyHint')}</p>
        </fieldset>
        <fieldset>
          <legend>{t('manage.type')}</legend>
          {(['Normal', 'Auditorium'] as const).map((type) => (
            <label key={type} class="inline">
              <input type="radio" name="type" value={type} defaultChecked={(s?.type ?? 'Normal') === type} /> {t(`type.${type}`)}
            </label>
          ))}
          <p class="hint">{t('manage.typeHint')}</p>
        </fieldset>
        <label>
          {t('sidebar.invitations')}
          <select name="invitations" defaultValue={s?.invitations ?? 'Inherit'}>
            <option value="Inherit">{t('manage.invitationsInherit')}</option>
            <option value="False">{t('manage.invitationsNever')}</option>
          </select>
        </label>
        {ROLES.map((role) => (
          <PeoplePicker
            key={role}
            name={role}
            label={roleLabel(role)}
            initial={s?.[role] ?? (role === 'members' ? [self] : [])}
            {...(category === null ? {} : { category })}
            {...(role === 'presenters' ? { hint: t('manage.presentersHint') } : {})}
          />
        ))}
        <label>
          {t('manage.addin')}
          <select name="addin" aria-label={t('manage.addin')}>
            <option value="">{t('manage.noAddin')}</option>
            {addinNames.map((a) => (
              <option key={a} value={a} selected={a === s?.addin}>
                {a}
              </option>
            ))}
          </select>
        </label>
        {!creating && (
          <label class="inline">
            <input type="checkbox" name="disabled" defaultChecked={s!.disabled} /> {t('manage.disabled')}
          </label>
        )}
        {error !== null && (
          <p class="error" role="alert" data-testid="settings-error">
            {error}
          </p>
        )}
        {saved !== null && (
          <p class="notice" role="status">
            {saved}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {creating ? t('manage.createButton') : t('manage.save')}
        </button>
      </form>
    </section>
  );
}
