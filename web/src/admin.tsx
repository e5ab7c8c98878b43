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
import { PeoplePicker, pickedKeys } from './people';

export class CliError extends Error {}

/** Runs `stoa --json <argv>` in the server; the parsed output, or the command's own error. */
export async function cli<T>(api: Api, argv: string[], stdin?: string): Promise<T> {
  const r = await api.request<{ code: number; stdout: string; stderr: string }>('POST', '/admin/cli', { argv: ['--json', ...argv], ...(stdin === undefined ? {} : { stdin }) });
  if (r.code !== 0) {
    let message = r.stderr.trim();
    try {
      message = (JSON.parse(message) as { error: { message: string } }).error.message;
    } catch {
      message = message.replace(/^stoa: /, '');
    }
    throw new CliError(message === '' ? `the command failed (exit ${r.code})` : message);
  }
  return (r.stdout.trim() === '' ? undefined : JSON.parse(r.stdout)) as T;
}




export function Admin({ tab }: { tab: AdminTab }) {
  const { session } = useStoa();
  if (!session.user.administrator) return <section class="manage"><p class="hint">These pages are for administrators.</p></section>;
  return (
    <section class="manage admin">
      <h1>Administration</h1>
      <p class="hint">Each change here runs the same <code>stoa</code> command as on the command line (docs/cli.md), with its rules and messages.</p>
      <nav class="tabs" aria-label="Administration">
        {TABS.map(([id, label]) => (
          <a key={id} href={`#/admin/${id}`} aria-current={id === tab ? 'page' : undefined}>
            {label}
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
  ['allowedMembers', 'allowed-members', 'Allowed members (the scope)'],
  ['deniedMembers', 'denied-members', 'Denied members'],
  ['creators', 'creators', 'Creators (may create rooms here)'],
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
    if (await run(argv, c === undefined ? `Category ${field(data, 'name')} created.` : `Category ${field(data, 'name')} saved.`)) setEditing(null);
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
        Name
        <input name="name" required defaultValue={c?.name ?? ''} />
      </label>
      <label>
        Description
        <input name="description" defaultValue={c?.description ?? ''} />
      </label>
      <label class="inline">
        <input type="checkbox" name="invitations" defaultChecked={c?.invitations ?? false} /> Invitations
      </label>
      <label class="inline">
        <input type="checkbox" name="fileUpload" defaultChecked={c?.fileUpload ?? false} /> File upload
      </label>
      <label class="inline">
        <input type="checkbox" name="chatHistory" defaultChecked={c?.chatHistory ?? true} /> Chat history
      </label>
      {CATEGORY_LISTS.map(([key, , label]) => (
        <PeoplePicker key={key} name={key} label={label} initial={c?.[key] ?? []} />
      ))}
      <div class="row">
        <button type="submit">{c === undefined ? 'Create category' : 'Save category'}</button>
        {c !== undefined && (
          <button type="button" class="link" onClick={() => setEditing(null)}>
            Cancel
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
            <th>Category</th>
            <th>Scope</th>
            <th>Creators</th>
            <th>Settings</th>
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
              <td>{c.allowedMembers.join(', ')}{c.deniedMembers.length > 0 && <div class="hint">but not {c.deniedMembers.join(', ')}</div>}</td>
              <td>{c.creators.join(', ')}</td>
              <td>{[c.invitations ? 'invitations' : '', c.fileUpload ? 'file upload' : '', c.chatHistory ? 'history' : 'no history'].filter(Boolean).join(', ')}</td>
              <td>
                <button type="button" class="link" onClick={() => setEditing(c.identity)}>
                  Edit
                </button>{' '}
                <button type="button" class="link" onClick={() => void run(['category', 'remove', c.identity], `Category ${c.name} removed.`)}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {editing !== null && items?.find((c) => c.identity === editing) !== undefined && (
        <section key={editing}>
          <h2>Edit {items.find((c) => c.identity === editing)!.name}</h2>
          {form(items.find((c) => c.identity === editing))}
        </section>
      )}
      <h2>New category</h2>
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
                void run(['addin', 'set', a.identity, '--url', field(new FormData(e.currentTarget), 'url')], `Add-in ${a.name} saved.`);
              }}
            >
              <strong>{a.name}</strong>
              <input name="url" type="url" defaultValue={a.url} aria-label={`URL of ${a.name}`} size={40} />
              <button type="submit">Save</button>
              <button type="button" class="link" onClick={() => void run(['addin', 'remove', a.identity, '--force'], `Add-in ${a.name} removed.`)}>
                Remove
              </button>
            </form>
          </li>
        ))}
      </ul>
      <h2>New add-in</h2>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          void run(['addin', 'new', '--name', field(data, 'name'), '--url', field(data, 'url')], `Add-in ${field(data, 'name')} created.`);
        }}
      >
        <input name="name" required placeholder="Name" aria-label="Add-in name" />
        <input name="url" required placeholder="https://…" aria-label="Add-in URL" size={40} />
        <button type="submit">Create add-in</button>
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
                void run(['policy', 'set', p.identity, '--enable-persistent-chat', String(data.get('enabled') === 'on'), '--description', field(data, 'description')], `Policy ${p.identity} saved.`);
              }}
            >
              <strong>{p.identity}</strong>
              <label class="inline">
                <input type="checkbox" name="enabled" defaultChecked={p.enablePersistentChat} /> Persistent Chat enabled
              </label>
              <input name="description" defaultValue={p.description} aria-label={`Description of ${p.identity}`} placeholder="Description" />
              <button type="submit">Save</button>
              <button type="button" class="link" onClick={() => void run(['policy', 'remove', p.identity], p.scope === 'global' ? 'The global policy was reset.' : `Policy ${p.identity} removed.`)}>
                {p.scope === 'global' ? 'Reset' : 'Remove'}
              </button>
            </form>
          </li>
        ))}
      </ul>
      <h2>New policy</h2>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void run(['policy', 'new', field(new FormData(e.currentTarget), 'identity')], 'Policy created (disabled until you enable it).');
        }}
      >
        <input name="identity" required placeholder="site:Oslo or tag:Pilot" aria-label="New policy identity" />
        <button type="submit">Create policy</button>
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
              `Configuration ${c.identity} saved.`,
            );
          }}
        >
          <h2>{c.identity}</h2>
          <label>
            Backchat messages on join (1–500)
            <input name="history" type="number" defaultValue={String(c.defaultChatHistory)} />
          </label>
          <label>
            Largest file (KB)
            <input name="size" type="number" defaultValue={String(c.maxFileSizeKB)} />
          </label>
          <label>
            Participant update limit (a larger room is a "large room")
            <input name="limit" type="number" defaultValue={String(c.participantUpdateLimit)} />
          </label>
          <label>
            Room management URL (empty: the built-in pages)
            <input name="url" defaultValue={c.roomManagementUrl} />
          </label>
          <button type="submit">Save configuration</button>
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
      <h2>Users</h2>
      <input type="search" class="filter" aria-label="Find users" placeholder="Find users by name or address" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
      <div class="table-scroll">
        <table data-testid="users">
          <thead>
            <tr>
              <th>User</th>
              <th>State</th>
              <th>Policy</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {(items ?? []).map((u) => (
              <tr key={u.key}>
                <td>
                  <strong>{label(u)}</strong>
                  <div class="hint">{u.key}</div>
                  {u.administrator && <span class="tag">administrator</span>} {!u.hasPassword && <span class="tag">no password</span>}
                </td>
                <td>{u.status === 'active' ? 'Enabled' : 'Disabled'}</td>
                <td>
                  <select
                    aria-label={`Policy of ${label(u)}`}
                    onChange={(e) => {
                      const name = e.currentTarget.value;
                      void run(['policy', 'grant', u.key, ...(name === '' ? ['--unassign'] : ['--policy-name', name])], name === '' ? `${label(u)} follows the site or global policy.` : `${label(u)} now has policy ${name}.`);
                    }}
                  >
                    <option value="" selected={u.policy === null}>
                      Site or global
                    </option>
                    {perUser.map((p) => (
                      <option key={p.identity} value={p.identity.replace(/^tag:/i, '')} selected={u.policy !== null && u.policy.toLowerCase() === p.identity.toLowerCase()}>
                        {p.identity}
                      </option>
                    ))}
                  </select>
                </td>
                <td class="actions">
                  <button type="button" class="link" onClick={() => void run(['principal', 'set', u.key, '--enabled', String(u.status !== 'active')], `${label(u)} is ${u.status === 'active' ? 'disabled' : 'enabled'}.`)}>
                    {u.status === 'active' ? 'Disable' : 'Enable'}
                  </button>{' '}
                  <button type="button" class="link" onClick={() => setPasswordFor(passwordFor === u.key ? null : u.key)} aria-expanded={passwordFor === u.key}>
                    Set password
                  </button>{' '}
                  <button type="button" class="link" onClick={() => void run(['admin', u.administrator ? 'revoke' : 'grant', u.key], u.administrator ? `${label(u)} is no longer an administrator.` : `${label(u)} is an administrator.`)}>
                    {u.administrator ? 'Revoke administrator' : 'Make administrator'}
                  </button>
                  {passwordFor === u.key && (
                    <form
                      class="row"
                      onSubmit={(e) => {
                        e.preventDefault();
                        void run(['user', 'passwd', u.key, '--password-stdin'], `The password of ${label(u)} is set; their sessions were signed out.`, field(new FormData(e.currentTarget), 'password')).then(
                          (ok) => ok && setPasswordFor(null),
                        );
                      }}
                    >
                      <input name="password" type="password" required minLength={8} autoComplete="new-password" aria-label={`New password for ${label(u)}`} />
                      <button type="submit">Set</button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {items !== null && items.length === 0 && <p class="hint">No user matches.</p>}
      <h2>New user</h2>
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
          void run(argv, `User ${key} created.`).then(async (ok) => {
            if (ok && password !== '') await run(['user', 'passwd', key, '--password-stdin'], `User ${key} created, with a password.`, password);
            if (ok) form.reset();
          });
        }}
      >
        <label>
          SIP address
          <input name="address" required placeholder="ana@contoso.com" autoComplete="off" />
        </label>
        <label>
          Display name
          <input name="displayName" />
        </label>
        <label>
          E-mail
          <input name="email" type="email" />
        </label>
        <label>
          Password (8 characters or more; empty: none yet)
          <input name="password" type="password" minLength={8} autoComplete="new-password" />
        </label>
        <button type="submit">Create user</button>
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
      <h2>Administrators</h2>
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
            for (const k of grant) if (!(await run(['admin', 'grant', k], `${k} is an administrator.`))) return;
            for (const k of revoke) if (!(await run(['admin', 'revoke', k], `${k} is no longer an administrator.`))) return;
          })();
        }}
      >
        <PeoplePicker name="administrators" label="Administrators (users and groups)" initial={holders} />
        <button type="submit">Save administrators</button>
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
  ['oneChatRoomPerOutputFile', 'one-chat-room-per-output-file', 'One room per output file'],
  ['addChatRoomDetails', 'add-chat-room-details', 'Add room details'],
  ['addUserDetails', 'add-user-details', 'Add user details'],
  ['createFileAttachmentsManifest', 'create-file-attachments-manifest', 'Write a manifest of file attachments'],
] as const;

/** Compliance output: where and how often the archive is written (`compliance-config`), and a run now. */
function Compliance() {
  const { items, run, messages } = useAdminList<ComplianceConfiguration>('compliance-config');
  return (
    <div>
      {messages}
      <p>
        <button type="button" onClick={() => void run(['compliance', 'run'], 'Every pending event was written.')}>
          Write the archive now
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
            void run(argv, `Compliance configuration ${c.identity} saved.`);
          }}
        >
          <h2>{c.identity}</h2>
          <label>
            Output
            <select name="adapterType" aria-label="Output">
              {[
                ['Xml', 'XML files (the legacy format)'],
                ['JsonLines', 'JSON lines'],
                ['', 'None (events are kept)'],
                ...(['Xml', 'JsonLines', ''].includes(c.adapterType) ? [] : [[c.adapterType, c.adapterType]]),
              ].map(([value, text]) => (
                <option key={value} value={value} selected={value === c.adapterType}>
                  {text}
                </option>
              ))}
            </select>
          </label>
          <label>
            Adapter name
            <input name="adapterName" defaultValue={c.adapterName} />
          </label>
          <label>
            Output directory (relative: inside the data directory)
            <input name="directory" defaultValue={c.adapterOutputDirectory} />
          </label>
          <label>
            Run interval (d.hh:mm:ss, 00:01:00 to 30.00:00:00)
            <input name="interval" defaultValue={c.runInterval} />
          </label>
          {COMPLIANCE_FLAGS.map(([key, , text]) => (
            <label key={key} class="inline">
              <input type="checkbox" name={key} defaultChecked={c[key]} /> {text}
            </label>
          ))}
          <label>
            XSLT applied to the XML output (empty: none)
            <textarea name="xslt" rows={3} defaultValue={c.customConfiguration} />
          </label>
          <button type="submit">Save compliance configuration</button>
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
            <button type="button" class="link" onClick={() => void run(['endpoint', 'remove', e.sipAddress], `Endpoint ${e.sipAddress} removed.`)}>
              Remove
            </button>
          </li>
        ))}
      </ul>
      <h2>New endpoint</h2>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const data = new FormData(form);
          const argv = ['endpoint', 'new', '--sip-address', field(data, 'address')];
          if (field(data, 'name').trim() !== '') argv.push('--display-name', field(data, 'name').trim());
          void run(argv, `Endpoint ${field(data, 'address')} created.`).then((ok) => ok && form.reset());
        }}
      >
        <input name="address" required placeholder="sip:chat@contoso.com" aria-label="Endpoint SIP address" />
        <input name="name" placeholder="Display name" aria-label="Endpoint display name" />
        <button type="submit">Create endpoint</button>
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

/** The pool: running nodes, the active servers, and which database the pool uses. */
function Pool() {
  const { api } = useStoa();
  const nodes = useCliRead<NodeRow[]>(['pool', 'node', 'get']);
  const active = useCliRead<{ activeServers: string[] | null }>(['pool', 'active-server', 'get']);
  const [state, setState] = useState<PoolStateRow | string | null>(null);
  const loadState = useCallback(() => {
    cli<PoolStateRow>(api, ['pool', 'state', 'get'])
      .then(setState)
      .catch((err: Error) => setState(err.message));
  }, [api]);
  useEffect(loadState, [loadState]);
  const list = active.items?.activeServers ?? null;
  const isActive = (name: string) => list === null || list.some((a) => a.toLowerCase() === name.toLowerCase());
  return (
    <div>
      {nodes.messages}
      <h2>Nodes</h2>
      <div class="table-scroll">
        <table data-testid="nodes">
          <thead>
            <tr>
              <th>Node</th>
              <th>State</th>
              <th>Connections</th>
              <th>Last heartbeat</th>
              <th>Active</th>
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
                <td>{n.state}</td>
                <td>{n.connections}</td>
                <td>{new Date(n.lastHeartbeat).toLocaleTimeString()}</td>
                <td>
                  {isActive(n.name) ? 'Yes' : 'No'}{' '}
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
                      void active.run(argv, on ? `${n.name} takes no new connections.` : `${n.name} takes new connections.`);
                    }}
                  >
                    {isActive(n.name) ? 'Make inactive' : 'Make active'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {active.messages}
      <p class="hint">
        Active servers: {list === null ? 'not set, every node takes new connections.' : list.length === 0 ? 'none (no node takes new connections).' : list.join(', ')}{' '}
        {list !== null && (
          <button type="button" class="link" onClick={() => void active.run(['pool', 'active-server', 'set', '--clear'], 'No node takes new connections now.')}>
            Clear the list
          </button>
        )}
      </p>
      <h2>Pool state</h2>
      {typeof state === 'string' ? (
        <p class="hint" data-testid="pool-state">
          {state}
        </p>
      ) : state === null ? null : (
        <div data-testid="pool-state">
          <p>
            <strong>{state.poolState === 'Normal' ? 'Normal: the primary database is in use.' : 'Failed over: the backup database is in use.'}</strong>{' '}
            {state.changedAt !== null && <span class="hint">Since {new Date(state.changedAt).toLocaleString()}.</span>}
          </p>
          <ul class="plain">
            <li>
              Primary: {state.primary.status} {state.primary.error !== undefined && <span class="hint">({state.primary.error})</span>}
            </li>
            <li>
              Backup: {state.backup.status} {state.backup.error !== undefined && <span class="hint">({state.backup.error})</span>}
            </li>
          </ul>
          {state.problem !== undefined && <p class="error">{state.problem}</p>}
          <button
            type="button"
            onClick={() => {
              const to = state.poolState === 'Normal' ? 'FailedOver' : 'Normal';
              if (!confirm(to === 'FailedOver' ? 'Fail the pool over to the backup database? Promote it first (docs/pool.md).' : 'Fail back to the primary database? Promote it first (docs/pool.md).')) return;
              void nodes.run(['pool', 'state', 'set', to], to === 'FailedOver' ? 'The pool uses the backup database.' : 'The pool uses the primary database.').then(loadState);
            }}
          >
            {state.poolState === 'Normal' ? 'Fail over to the backup' : 'Fail back to the primary'}
          </button>
        </div>
      )}
    </div>
  );
}
