/**
 * The administrators' pages: categories, add-ins, policies and configuration, read and
 * changed through the server's command-line endpoint (POST /api/v1/admin/cli, docs/cli.md)
 * — the very commands an administrator types, so the rules, the what-if-free effects and
 * the error messages are the CLI's, word for word, and take effect live.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, type Api } from './api';
import { useStoa } from './app';
import { field } from './forms';
import { TABS, type AdminTab } from './admin-tabs';
import { dateTime, number, t } from './i18n';
import { PeoplePicker, pickedKeys } from './people';

/** A command's refusal: its message (the server's words) and its stable code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: string = 'FAILED',
  ) {
    super(message);
  }
}

/** Runs `stoa --json <argv>` in the server; the parsed output, or the command's own error. */
export async function cli<T>(api: Api, argv: string[], stdin?: string): Promise<T> {
  const r = await api.request<{ code: number; stdout: string; stderr: string }>('POST', '/admin/cli', { argv: ['--json', ...argv], ...(stdin === undefined ? {} : { stdin }) });
  if (r.code !== 0) {
    let message = r.stderr.trim();
    let code = 'FAILED';
    try {
      const parsed = JSON.parse(message) as { error: { message: string; code?: string } };
      message = parsed.error.message;
      code = parsed.error.code ?? code;
    } catch {
      message = message.replace(/^stoa: /, '');
    }
    throw new CliError(message === '' ? t('admin.commandFailed', { code: r.code }) : message, code);
  }
  return (r.stdout.trim() === '' ? undefined : JSON.parse(r.stdout)) as T;
}




export function Admin({ tab }: { tab: AdminTab }) {
  const { session } = useStoa();
  if (!session.user.administrator) return <section class="manage"><p class="hint">{t('admin.only')}</p></section>;
  return (
    <section class="manage admin">
      <h1>{t('sidebar.admin')}</h1>
      <p class="hint">{t('admin.intro')}</p>
      <nav class="tabs" aria-label={t('sidebar.admin')}>
        {TABS.map(([id]) => (
          <a key={id} href={`#/admin/${id}`} aria-current={id === tab ? 'page' : undefined}>
            {t(`admin.tab.${id}`)}
          </a>
        ))}
      </nav>
      <AdminPage tab={tab} />
    </section>
  );
}

function AdminPage({ tab }: { tab: AdminTab }) {
  switch (tab) {
    case 'users':
      return <Users />;
    case 'categories':
      return <Categories />;
    case 'addins':
      return <Addins />;
    case 'policies':
      return <Policies />;
    case 'config':
      return <Configurations />;
    case 'compliance':
      return <Compliance />;
    case 'endpoints':
      return <Endpoints />;
    case 'pool':
      return <Pool />;
  }
}

/** Loads a list with a CLI `get`, and runs changes that reload it; errors and notices shown. */
function useAdminList<T>(noun: string) {
  return useCliRead<T[]>([noun, 'get']);
}

/** Reads with a CLI command (again after each change), and runs changes; errors and notices shown. */
function useCliRead<T>(argv: readonly string[]) {
  const { api } = useStoa();
  const [items, setItems] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const key = JSON.stringify(argv);
  const load = useCallback(() => {
    cli<T>(api, JSON.parse(key) as string[])
      .then(setItems)
      .catch((err: Error) => setError(err.message));
  }, [api, key]);
  useEffect(load, [load]);
  const run = async (argv: string[], done: string, stdin?: string): Promise<boolean> => {
    setError(null);
    setNotice(null);
    try {
      await cli(api, argv, stdin);
      setNotice(done);
      load();
      return true;
    } catch (err) {
      setError(err instanceof CliError || err instanceof ApiError ? err.message : String(err));
      return false;
    }
  };
  const messages = (
    <>
      {error !== null && (
        <p class="error" role="alert" data-testid="admin-error">
          {error}
        </p>
      )}
      {notice !== null && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
    </>
  );
  return { items, run, messages };
}

interface Category {
  identity: string;
  name: string;
  description: string;
  invitations: boolean;
  fileUpload: boolean;
  chatHistory: boolean;
  allowedMembers: string[];
  deniedMembers: string[];
  creators: string[];
}

const CATEGORY_LISTS = [
  ['allowedMembers', 'allowed-members', 'admin.category.allowed'],
  ['deniedMembers', 'denied-members', 'admin.category.denied'],
  ['creators', 'creators', 'admin.category.creators'],
] as const;

function Categories() {
  const { items, run, messages } = useAdminList<Category>('category');
  const [editing, setEditing] = useState<string | null>(null);
  const save = async (form: HTMLFormElement, c: Category | undefined) => {
    const data = new FormData(form);
    const argv = c === undefined ? ['category', 'new', '--name', field(data, 'name')] : ['category', 'set', c.identity, '--name', field(data, 'name')];
    argv.push('--description', field(data, 'description'));
    const on = (name: string) => data.get(name) === 'on';
    if (c === undefined) {
      if (on('invitations')) argv.push('--enable-invitations');
      if (on('fileUpload')) argv.push('--enable-file-upload');
      if (!on('chatHistory')) argv.push('--remove-chat-history');
    } else {
      argv.push('--invitations', String(on('invitations')), '--file-upload', String(on('fileUpload')), '--chat-history', String(on('chatHistory')));
    }
    for (const [key, option] of CATEGORY_LISTS) {
      // `;` separates a CLI list, and keeps DNs (which hold commas) whole.
      const list = pickedKeys(data, key).join(';');
      if (list !== '') argv.push(`--${option}`, list);
      else if (c !== undefined && c[key].length > 0) argv.push(`--clear-${option}`);
    }
    if (await run(argv, t(c === undefined ? 'admin.category.created' : 'admin.category.saved', { name: field(data, 'name') }))) setEditing(null);
  };
  const form = (c: Category | undefined) => (
    <form
      class="settings"
      onSubmit={(e) => {
        e.preventDefault();
        void save(e.currentTarget, c);
      }}
    >
      <label>
        {t('manage.name')}
        <input name="name" required defaultValue={c?.name ?? ''} />
      </label>
      <label>
        {t('manage.description')}
        <input name="description" defaultValue={c?.description ?? ''} />
      </label>
      <label class="inline">
        <input type="checkbox" name="invitations" defaultChecked={c?.invitations ?? false} /> {t('sidebar.invitations')}
      </label>
      <label class="inline">
        <input type="checkbox" name="fileUpload" defaultChecked={c?.fileUpload ?? false} /> {t('admin.category.fileUpload')}
      </label>
      <label class="inline">
        <input type="checkbox" name="chatHistory" defaultChecked={c?.chatHistory ?? true} /> {t('admin.category.chatHistory')}
      </label>
      {CATEGORY_LISTS.map(([key, , label]) => (
        <PeoplePicker key={key} name={key} label={t(label)} initial={c?.[key] ?? []} />
      ))}
      <div class="row">
        <button type="submit">{c === undefined ? t('admin.category.create') : t('admin.category.save')}</button>
        {c !== undefined && (
          <button type="button" class="link" onClick={() => setEditing(null)}>
            {t('admin.cancel')}
          </button>
        )}
      </div>
    </form>
  );
  return (
    <div>
      {messages}
      <table data-testid="categories">
        <thead>
          <tr>
            <th>{t('manage.category')}</th>
            <th>{t('admin.category.scope')}</th>
            <th>{t('admin.category.creatorsColumn')}</th>
            <th>{t('room.settings')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(items ?? []).map((c) => (
            <tr key={c.identity}>
              <td>
                <strong>{c.name}</strong>
                <div class="hint">{c.description}</div>
              </td>
              <td>{c.allowedMembers.join(', ')}{c.deniedMembers.length > 0 && <div class="hint">{t('admin.category.butNot', { list: c.deniedMembers.join(', ') })}</div>}</td>
              <td>{c.creators.join(', ')}</td>
              <td>{[c.invitations ? t('admin.category.hasInvitations') : '', c.fileUpload ? t('admin.category.hasFileUpload') : '', c.chatHistory ? t('admin.category.hasHistory') : t('admin.category.noHistory')].filter(Boolean).join(', ')}</td>
              <td>
                <button type="button" class="link" onClick={() => setEditing(c.identity)}>
                  {t('admin.edit')}
                </button>{' '}
                <button type="button" class="link" onClick={() => void run(['category', 'remove', c.identity], t('admin.category.removed', { name: c.name }))}>
                  {t('admin.remove')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {editing !== null && items?.find((c) => c.identity === editing) !== undefined && (
        <section key={editing}>
          <h2>{t('admin.category.editTitle', { name: items.find((c) => c.identity === editing)!.name })}</h2>
          {form(items.find((c) => c.identity === editing))}
        </section>
      )}
      <h2>{t('admin.category.new')}</h2>
      {form(undefined)}
    </div>
  );
}

interface Addin {
  identity: string;
  name: string;
  url: string;
}

function Addins() {
  const { items, run, messages } = useAdminList<Addin>('addin');
  return (
    <div>
      {messages}
      <ul class="plain" data-testid="addins">
        {(items ?? []).map((a) => (
          <li key={a.identity}>
            <form
              class="row"
              onSubmit={(e) => {
                e.preventDefault();
                void run(['addin', 'set', a.identity, '--url', field(new FormData(e.currentTarget), 'url')], t('admin.addin.saved', { name: a.name }));
              }}
            >
              <strong>{a.name}</strong>
              <input name="url" type="url" defaultValue={a.url} aria-label={t('admin.addin.urlOf', { name: a.name })} size={40} />
              <button type="submit">{t('manage.save')}</button>
              <button type="button" class="link" onClick={() => void run(['addin', 'remove', a.identity, '--force'], t('admin.addin.removed', { name: a.name }))}>
                {t('admin.remove')}
              </button>
            </form>
          </li>
        ))}
      </ul>
      <h2>{t('admin.addin.new')}</h2>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          void run(['addin', 'new', '--name', field(data, 'name'), '--url', field(data, 'url')], t('admin.addin.created', { name: field(data, 'name') }));
        }}
      >
        <input name="name" required placeholder={t('manage.name')} aria-label={t('admin.addin.name')} />
        <input name="url" required placeholder={t('admin.addin.urlPlaceholder')} aria-label={t('admin.addin.url')} size={40} />
        <button type="submit">{t('admin.addin.create')}</button>
      </form>
    </div>
  );
}

interface Policy {
  identity: string;
  scope: string;
  enablePersistentChat: boolean;
  description: string;
}

function Policies() {
  const { items, run, messages } = useAdminList<Policy>('policy');
  return (
    <div>
      {messages}
      <ul class="plain" data-testid="policies">
        {(items ?? []).map((p) => (
          <li key={p.identity}>
            <form
              class="row"
              onSubmit={(e) => {
                e.preventDefault();
                const data = new FormData(e.currentTarget);
                void run(['policy', 'set', p.identity, '--enable-persistent-chat', String(data.get('enabled') === 'on'), '--description', field(data, 'description')], t('admin.policy.saved', { name: p.identity }));
              }}
            >
              <strong>{p.identity}</strong>
              <label class="inline">
                <input type="checkbox" name="enabled" defaultChecked={p.enablePersistentChat} /> {t('admin.policy.enabled')}
              </label>
              <input name="description" defaultValue={p.description} aria-label={t('admin.policy.descriptionOf', { name: p.identity })} placeholder={t('manage.description')} />
              <button type="submit">{t('manage.save')}</button>
              <button type="button" class="link" onClick={() => void run(['policy', 'remove', p.identity], p.scope === 'global' ? t('admin.policy.reset') : t('admin.policy.removed', { name: p.identity }))}>
                {p.scope === 'global' ? t('admin.policy.resetButton') : t('admin.remove')}
              </button>
            </form>
          </li>
        ))}
      </ul>
      <h2>{t('admin.policy.new')}</h2>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void run(['policy', 'new', field(new FormData(e.currentTarget), 'identity')], t('admin.policy.created'));
        }}
      >
        <input name="identity" required placeholder={t('admin.policy.identityPlaceholder')} aria-label={t('admin.policy.identity')} />
        <button type="submit">{t('admin.policy.create')}</button>
      </form>
    </div>
  );
}

interface Configuration {
  identity: string;
  scope: string;
  defaultChatHistory: number;
  maxFileSizeKB: number;
  participantUpdateLimit: number;
  roomManagementUrl: string;
}

function Configurations() {
  const { items, run, messages } = useAdminList<Configuration>('config');
  return (
    <div>
      {messages}
      {(items ?? []).map((c) => (
        <form
          key={c.identity}
          class="settings"
          data-testid="config"
          onSubmit={(e) => {
            e.preventDefault();
            const data = new FormData(e.currentTarget);
            void run(
              ['config', 'set', c.identity, '--default-chat-history', field(data, 'history'), '--max-file-size-kb', field(data, 'size'), '--participant-update-limit', field(data, 'limit'), '--room-management-url', field(data, 'url')],
              t('admin.config.saved', { name: c.identity }),
            );
          }}
        >
          <h2>{c.identity}</h2>
          <label>
            {t('admin.config.history')}
            <input name="history" type="number" defaultValue={String(c.defaultChatHistory)} />
          </label>
          <label>
            {t('admin.config.fileSize')}
            <input name="size" type="number" defaultValue={String(c.maxFileSizeKB)} />
          </label>
          <label>
            {t('admin.config.limit')}
            <input name="limit" type="number" defaultValue={String(c.participantUpdateLimit)} />
          </label>
          <label>
            {t('admin.config.url')}
            <input name="url" defaultValue={c.roomManagementUrl} />
          </label>
          <button type="submit">{t('admin.config.save')}</button>
        </form>
      ))}
    </div>
  );
}

interface UserRow {
  key: string;
  displayName: string | null;
  email: string | null;
  status: 'active' | 'disabled' | 'deleted';
  policy: string | null;
  hasPassword: boolean;
  administrator: boolean;
}

/** Users: create, find, enable or disable, set a password, grant a policy, make administrator. */
function Users() {
  const [filter, setFilter] = useState('');
  const [typed, setTyped] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setFilter(typed.trim()), 250);
    return () => clearTimeout(timer);
  }, [typed]);
  const { items, run, messages } = useCliRead<UserRow[]>(['principal', 'get', '--kind', 'user', '--result-size', '100', ...(filter === '' ? [] : ['--filter', filter])]);
  const policies = useAdminList<Policy>('policy').items ?? [];
  const perUser = policies.filter((p) => p.scope === 'tag');
  const [passwordFor, setPasswordFor] = useState<string | null>(null);
  const label = (u: UserRow) => u.displayName ?? u.key.replace(/^sip:/, '');
  return (
    <div>
      {messages}
      <Administrators />
      <h2>{t('admin.tab.users')}</h2>
      <input type="search" class="filter" aria-label={t('admin.users.find')} placeholder={t('admin.users.findPlaceholder')} value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
      <div class="table-scroll">
        <table data-testid="users">
          <thead>
            <tr>
              <th>{t('admin.users.user')}</th>
              <th>{t('admin.users.state')}</th>
              <th>{t('admin.users.policy')}</th>
              <th>{t('admin.users.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {(items ?? []).map((u) => (
              <tr key={u.key}>
                <td>
                  <strong>{label(u)}</strong>
                  <div class="hint">{u.key}</div>
                  {u.administrator && <span class="tag">{t('admin.users.adminTag')}</span>} {!u.hasPassword && <span class="tag">{t('admin.users.noPassword')}</span>}
                </td>
                <td>{u.status === 'active' ? t('admin.users.enabled') : t('admin.users.disabled')}</td>
                <td>
                  <select
                    aria-label={t('admin.users.policyOf', { name: label(u) })}
                    onChange={(e) => {
                      const name = e.currentTarget.value;
                      void run(['policy', 'grant', u.key, ...(name === '' ? ['--unassign'] : ['--policy-name', name])], name === '' ? t('admin.users.policyCleared', { name: label(u) }) : t('admin.users.policySet', { name: label(u), policy: name }));
                    }}
                  >
                    <option value="" selected={u.policy === null}>
                      {t('admin.users.siteOrGlobal')}
                    </option>
                    {perUser.map((p) => (
                      <option key={p.identity} value={p.identity.replace(/^tag:/i, '')} selected={u.policy !== null && u.policy.toLowerCase() === p.identity.toLowerCase()}>
                        {p.identity}
                      </option>
                    ))}
                  </select>
                </td>
                <td class="actions">
                  <button type="button" class="link" onClick={() => void run(['principal', 'set', u.key, '--enabled', String(u.status !== 'active')], u.status === 'active' ? t('admin.users.disabledNotice', { name: label(u) }) : t('admin.users.enabledNotice', { name: label(u) }))}>
                    {u.status === 'active' ? t('admin.users.disable') : t('admin.users.enable')}
                  </button>{' '}
                  <button type="button" class="link" onClick={() => setPasswordFor(passwordFor === u.key ? null : u.key)} aria-expanded={passwordFor === u.key}>
                    {t('admin.users.setPassword')}
                  </button>{' '}
                  <button type="button" class="link" onClick={() => void run(['admin', u.administrator ? 'revoke' : 'grant', u.key], u.administrator ? t('admin.users.revoked', { name: label(u) }) : t('admin.users.granted', { name: label(u) }))}>
                    {u.administrator ? t('admin.users.revoke') : t('admin.users.grant')}
                  </button>
                  {passwordFor === u.key && (
                    <form
                      class="row"
                      onSubmit={(e) => {
                        e.preventDefault();
                        void run(['user', 'passwd', u.key, '--password-stdin'], t('admin.users.passwordSet', { name: label(u) }), field(new FormData(e.currentTarget), 'password')).then(
                          (ok) => ok && setPasswordFor(null),
                        );
                      }}
                    >
                      <input name="password" type="password" required minLength={8} autoComplete="new-password" aria-label={t('admin.users.newPasswordFor', { name: label(u) })} />
                      <button type="submit">{t('admin.users.set')}</button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {items !== null && items.length === 0 && <p class="hint">{t('admin.users.noMatch')}</p>}
      <h2>{t('admin.users.new')}</h2>
      <form
        class="settings"
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const data = new FormData(form);
          const address = field(data, 'address').trim();
          const key = /^sip:/i.test(address) ? address : `sip:${address}`;
          const argv = ['principal', 'add', key, '--kind', 'user'];
          if (field(data, 'displayName').trim() !== '') argv.push('--display-name', field(data, 'displayName').trim());
          if (field(data, 'email').trim() !== '') argv.push('--email', field(data, 'email').trim());
          const password = field(data, 'password');
          void run(argv, t('admin.users.created', { name: key })).then(async (ok) => {
            if (ok && password !== '') await run(['user', 'passwd', key, '--password-stdin'], t('admin.users.createdWithPassword', { name: key }), password);
            if (ok) form.reset();
          });
        }}
      >
        <label>
          {t('admin.users.address')}
          <input name="address" required placeholder={t('signIn.placeholder')} autoComplete="off" />
        </label>
        <label>
          {t('admin.users.displayName')}
          <input name="displayName" />
        </label>
        <label>
          {t('admin.users.email')}
          <input name="email" type="email" />
        </label>
        <label>
          {t('admin.users.password')}
          <input name="password" type="password" minLength={8} autoComplete="new-password" />
        </label>
        <button type="submit">{t('admin.users.create')}</button>
      </form>
    </div>
  );
}

/** The administrator role: users and groups that hold it (`admin get|grant|revoke`). */
function Administrators() {
  const { items, run, messages } = useCliRead<{ key: string }[]>(['admin', 'get']);
  if (items === null) return messages;
  const holders = items.map((a) => a.key);
  return (
    <section>
      <h2>{t('admin.admins.title')}</h2>
      {messages}
      <form
        key={holders.join('|')}
        class="settings"
        onSubmit={(e) => {
          e.preventDefault();
          const wanted = pickedKeys(new FormData(e.currentTarget), 'administrators');
          const lower = (k: string) => k.toLowerCase();
          const grant = wanted.filter((k) => !holders.some((h) => lower(h) === lower(k)));
          const revoke = holders.filter((h) => !wanted.some((k) => lower(h) === lower(k)));
          void (async () => {
            for (const k of grant) if (!(await run(['admin', 'grant', k], t('admin.users.granted', { name: k })))) return;
            for (const k of revoke) if (!(await run(['admin', 'revoke', k], t('admin.users.revoked', { name: k })))) return;
          })();
        }}
      >
        <PeoplePicker name="administrators" label={t('admin.admins.label')} initial={holders} />
        <button type="submit">{t('admin.admins.save')}</button>
      </form>
    </section>
  );
}

interface ComplianceConfiguration {
  identity: string;
  adapterType: string;
  adapterName: string;
  adapterOutputDirectory: string;
  runInterval: string;
  oneChatRoomPerOutputFile: boolean;
  addChatRoomDetails: boolean;
  addUserDetails: boolean;
  createFileAttachmentsManifest: boolean;
  customConfiguration: string;
}

const COMPLIANCE_FLAGS = [
  ['oneChatRoomPerOutputFile', 'one-chat-room-per-output-file', 'admin.compliance.oneRoom'],
  ['addChatRoomDetails', 'add-chat-room-details', 'admin.compliance.roomDetails'],
  ['addUserDetails', 'add-user-details', 'admin.compliance.userDetails'],
  ['createFileAttachmentsManifest', 'create-file-attachments-manifest', 'admin.compliance.manifest'],
] as const;

/** Compliance output: where and how often the archive is written (`compliance-config`), and a run now. */
function Compliance() {
  const { items, run, messages } = useAdminList<ComplianceConfiguration>('compliance-config');
  return (
    <div>
      {messages}
      <p>
        <button type="button" onClick={() => void run(['compliance', 'run'], t('admin.compliance.written'))}>
          {t('admin.compliance.runNow')}
        </button>
      </p>
      {(items ?? []).map((c) => (
        <form
          key={c.identity}
          class="settings"
          data-testid="compliance-config"
          onSubmit={(e) => {
            e.preventDefault();
            const data = new FormData(e.currentTarget);
            const argv = ['compliance-config', 'set', c.identity, '--adapter-type', field(data, 'adapterType'), '--adapter-name', field(data, 'adapterName'), '--adapter-output-directory', field(data, 'directory'), '--run-interval', field(data, 'interval')];
            for (const [key, option] of COMPLIANCE_FLAGS) argv.push(`--${option}`, String(data.get(key) === 'on'));
            argv.push('--custom-configuration', field(data, 'xslt'));
            void run(argv, t('admin.compliance.saved', { name: c.identity }));
          }}
        >
          <h2>{c.identity}</h2>
          <label>
            {t('admin.compliance.output')}
            <select name="adapterType" aria-label={t('admin.compliance.output')}>
              {[
                ['Xml', t('admin.compliance.xml')],
                ['JsonLines', t('admin.compliance.jsonLines')],
                ['', t('admin.compliance.none')],
                ...(['Xml', 'JsonLines', ''].includes(c.adapterType) ? [] : [[c.adapterType, c.adapterType]]),
              ].map(([value, text]) => (
                <option key={value} value={value} selected={value === c.adapterType}>
                  {text}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('admin.compliance.adapterName')}
            <input name="adapterName" defaultValue={c.adapterName} />
          </label>
          <label>
            {t('admin.compliance.directory')}
            <input name="directory" defaultValue={c.adapterOutputDirectory} />
          </label>
          <label>
            {t('admin.compliance.interval')}
            <input name="interval" defaultValue={c.runInterval} />
          </label>
          {COMPLIANCE_FLAGS.map(([key, , text]) => (
            <label key={key} class="inline">
              <input type="checkbox" name={key} defaultChecked={c[key]} /> {t(text)}
            </label>
          ))}
          <label>
            {t('admin.compliance.xslt')}
            <textarea name="xslt" rows={3} defaultValue={c.customConfiguration} />
          </label>
          <button type="submit">{t('admin.compliance.save')}</button>
        </form>
      ))}
    </div>
  );
}

interface Endpoint {
  identity: string;
  sipAddress: string;
  displayName: string;
}

/** Persistent Chat endpoints: the addresses legacy clients reach the pool by. */
function Endpoints() {
  const { items, run, messages } = useAdminList<Endpoint>('endpoint');
  return (
    <div>
      {messages}
      <ul class="plain" data-testid="endpoints">
        {(items ?? []).map((e) => (
          <li key={e.identity} class="row">
            <strong>{e.displayName}</strong> <span class="hint">{e.sipAddress}</span>
            <button type="button" class="link" onClick={() => void run(['endpoint', 'remove', e.sipAddress], t('admin.endpoints.removed', { name: e.sipAddress }))}>
              {t('admin.remove')}
            </button>
          </li>
        ))}
      </ul>
      <h2>{t('admin.endpoints.new')}</h2>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const data = new FormData(form);
          const argv = ['endpoint', 'new', '--sip-address', field(data, 'address')];
          if (field(data, 'name').trim() !== '') argv.push('--display-name', field(data, 'name').trim());
          void run(argv, t('admin.endpoints.created', { name: field(data, 'address') })).then((ok) => ok && form.reset());
        }}
      >
        <input name="address" required placeholder={t('admin.endpoints.addressPlaceholder')} aria-label={t('admin.endpoints.address')} />
        <input name="name" placeholder={t('admin.users.displayName')} aria-label={t('admin.endpoints.displayName')} />
        <button type="submit">{t('admin.endpoints.create')}</button>
      </form>
    </div>
  );
}

interface NodeRow {
  name: string;
  state: string;
  version: string;
  address: string | null;
  connections: number;
  lastHeartbeat: string;
  host: string;
}

interface PoolStateRow {
  poolState: 'Normal' | 'FailedOver';
  epoch: number;
  changedAt: string | null;
  primary: { url: string; status: string; error?: string };
  backup: { url: string; status: string; error?: string };
  problem?: string;
}

const DATABASE_STATUSES = ['in use', 'accepts writes', 'standby', 'does not answer', 'not configured'] as const;
/** A database's status as `pool state get` reports it, in the user's language. */
const databaseStatus = (status: string) => {
  const known = DATABASE_STATUSES.find((s) => s === status);
  return known === undefined ? status : t(`admin.pool.db.${known}`);
};

/** The pool: running nodes, the active servers, and which database the pool uses. */
function Pool() {
  const { api } = useStoa();
  const nodes = useCliRead<NodeRow[]>(['pool', 'node', 'get']);
  const active = useCliRead<{ activeServers: string[] | null }>(['pool', 'active-server', 'get']);
  const [state, setState] = useState<PoolStateRow | string | null>(null);
  const loadState = useCallback(() => {
    cli<PoolStateRow>(api, ['pool', 'state', 'get'])
      .then(setState)
      // One database (SQLite, or PostgreSQL without a backup): nothing to fail over to.
      .catch((err: Error) => setState(err instanceof CliError && err.code === 'INVALID_CONFIG' ? t('admin.pool.noBackup') : err.message));
  }, [api]);
  useEffect(loadState, [loadState]);
  const list = active.items?.activeServers ?? null;
  const isActive = (name: string) => list === null || list.some((a) => a.toLowerCase() === name.toLowerCase());
  return (
    <div>
      {nodes.messages}
      <h2>{t('admin.pool.nodes')}</h2>
      <div class="table-scroll">
        <table data-testid="nodes">
          <thead>
            <tr>
              <th>{t('admin.pool.node')}</th>
              <th>{t('admin.users.state')}</th>
              <th>{t('admin.pool.connections')}</th>
              <th>{t('admin.pool.heartbeat')}</th>
              <th>{t('admin.pool.active')}</th>
            </tr>
          </thead>
          <tbody>
            {(nodes.items ?? []).map((n) => (
              <tr key={n.name}>
                <td>
                  <strong>{n.name}</strong>
                  <div class="hint">
                    {n.host} {n.address ?? ''} · {n.version}
                  </div>
                </td>
                <td>{n.state === 'Running' ? t('admin.pool.running') : t('admin.pool.notResponding')}</td>
                <td>{number(n.connections)}</td>
                <td>{dateTime(n.lastHeartbeat, { timeStyle: 'medium' })}</td>
                <td>
                  {isActive(n.name) ? t('admin.pool.yes') : t('admin.pool.no')}{' '}
                  <button
                    type="button"
                    class="link"
                    onClick={() => {
                      const on = isActive(n.name);
                      // Without a list every node is active: taking one off lists the others.
                      const others = (nodes.items ?? []).filter((o) => o.name !== n.name).map((o) => o.name);
                      const argv =
                        list !== null
                          ? ['pool', 'active-server', 'set', on ? '--remove' : '--add', n.name]
                          : others.length > 0
                            ? ['pool', 'active-server', 'set', '--add', others.join(',')]
                            : ['pool', 'active-server', 'set', '--clear'];
                      void active.run(argv, on ? t('admin.pool.madeInactive', { name: n.name }) : t('admin.pool.madeActive', { name: n.name }));
                    }}
                  >
                    {isActive(n.name) ? t('admin.pool.makeInactive') : t('admin.pool.makeActive')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {active.messages}
      <p class="hint">
        {list === null ? t('admin.pool.activeUnset') : list.length === 0 ? t('admin.pool.activeNone') : t('admin.pool.activeList', { list: list.join(', ') })}{' '}
        {list !== null && (
          <button type="button" class="link" onClick={() => void active.run(['pool', 'active-server', 'set', '--clear'], t('admin.pool.cleared'))}>
            {t('admin.pool.clear')}
          </button>
        )}
      </p>
      <h2>{t('admin.pool.state')}</h2>
      {typeof state === 'string' ? (
        <p class="hint" data-testid="pool-state">
          {state}
        </p>
      ) : state === null ? null : (
        <div data-testid="pool-state">
          <p>
            <strong>{state.poolState === 'Normal' ? t('admin.pool.normal') : t('admin.pool.failedOver')}</strong>{' '}
            {state.changedAt !== null && <span class="hint">{t('admin.pool.since', { when: dateTime(state.changedAt, { dateStyle: 'medium', timeStyle: 'short' }) })}</span>}
          </p>
          <ul class="plain">
            <li>
              {t('admin.pool.primary', { status: databaseStatus(state.primary.status) })} {state.primary.error !== undefined && <span class="hint">({state.primary.error})</span>}
            </li>
            <li>
              {t('admin.pool.backup', { status: databaseStatus(state.backup.status) })} {state.backup.error !== undefined && <span class="hint">({state.backup.error})</span>}
            </li>
          </ul>
          {state.problem !== undefined && <p class="error">{state.problem}</p>}
          <button
            type="button"
            onClick={() => {
              const to = state.poolState === 'Normal' ? 'FailedOver' : 'Normal';
              if (!confirm(to === 'FailedOver' ? t('admin.pool.confirmFailover') : t('admin.pool.confirmFailback'))) return;
              void nodes.run(['pool', 'state', 'set', to], to === 'FailedOver' ? t('admin.pool.usesBackup') : t('admin.pool.usesPrimary')).then(loadState);
            }}
          >
            {state.poolState === 'Normal' ? t('admin.pool.failover') : t('admin.pool.failback')}
          </button>
        </div>
      )}
    </div>
  );
}
