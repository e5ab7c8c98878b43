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
import { PeoplePicker, pickedKeys } from './people';

export class CliError extends Error {}

/** Runs `stoa --json <argv>` in the server; the parsed output, or the command's own error. */
export async function cli<T>(api: Api, argv: string[]): Promise<T> {
  const r = await api.request<{ code: number; stdout: string; stderr: string }>('POST', '/admin/cli', { argv: ['--json', ...argv] });
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


const TABS = [
  ['categories', 'Categories'],
  ['addins', 'Add-ins'],
  ['policies', 'Policies'],
  ['config', 'Configuration'],
] as const;
export type AdminTab = (typeof TABS)[number][0];

export function Admin({ tab }: { tab: AdminTab }) {
  const { session } = useStoa();
  if (!session.user.administrator) return <section class="manage"><p class="hint">These pages are for administrators.</p></section>;
  return (
    <section class="manage admin">
      <h1>Administration</h1>
      <nav class="tabs" aria-label="Administration">
        {TABS.map(([id, label]) => (
          <a key={id} href={`#/admin/${id}`} aria-current={id === tab ? 'page' : undefined}>
            {label}
          </a>
        ))}
      </nav>
      {tab === 'categories' ? <Categories /> : tab === 'addins' ? <Addins /> : tab === 'policies' ? <Policies /> : <Configurations />}
    </section>
  );
}

/** Loads a list with a CLI `get`, and runs changes that reload it; errors and notices shown. */
function useAdminList<T>(noun: string) {
  const { api } = useStoa();
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const load = useCallback(() => {
    cli<T[]>(api, [noun, 'get'])
      .then(setItems)
      .catch((err: Error) => setError(err.message));
  }, [api, noun]);
  useEffect(load, [load]);
  const run = async (argv: string[], done: string): Promise<boolean> => {
    setError(null);
    setNotice(null);
    try {
      await cli(api, argv);
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
