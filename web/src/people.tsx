/**
 * The people picker of every principal field (room roles, category scopes and creators):
 * chosen principals as removable chips, and a type-ahead over the directory (users, groups,
 * OUs, domains, with display names and addresses or DNs), limited to what a category's scope
 * covers when one is given. The chosen keys travel in a hidden field as a JSON array, so that
 * DNs, which hold commas, stay whole.
 */
import { useEffect, useId, useState } from 'preact/hooks';
import { ApiError, q } from './api';
import { useStoa } from './app';
import { field } from './forms';
import { t } from './i18n';

export interface Principal {
  key: string;
  kind: 'user' | 'group' | 'container' | 'domain';
  displayName: string | null;
  email: string | null;
}

interface Chosen {
  key: string;
  displayName: string | null;
}

const kindLabel = (kind: Principal['kind']) => t(`people.kind.${kind}`);

/** The keys a picker named `name` holds in a submitted form. */
export function pickedKeys(data: FormData, name: string): string[] {
  try {
    const keys: unknown = JSON.parse(field(data, name) || '[]');
    return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : [];
  } catch {
    return [];
  }
}

const same = (a: string, b: string) => a.replace(/^sip:/i, '').toLowerCase() === b.replace(/^sip:/i, '').toLowerCase();

export function PeoplePicker({ name, label, initial, category, hint }: { name: string; label: string; initial: readonly string[]; category?: string; hint?: string }) {
  const { api } = useStoa();
  const id = useId();
  const [chosen, setChosen] = useState<Chosen[]>(() => initial.map((key) => ({ key, displayName: null })));
  const [text, setText] = useState('');
  const [options, setOptions] = useState<Principal[]>([]);
  const [active, setActive] = useState(0);
  const [problem, setProblem] = useState<string | null>(null);

  // Type-ahead: the directory is asked 150 ms after the last key, and a late answer to an
  // older text is dropped.
  useEffect(() => {
    const typed = text.trim();
    if (typed === '') {
      setOptions([]);
      return;
    }
    let stale = false;
    const timer = setTimeout(() => {
      api
        .get<Principal[]>(`/principals?q=${q(typed)}&limit=8${category === undefined || category === '' ? '' : `&category=${q(category)}`}`)
        .then((found) => {
          if (stale) return;
          setOptions(found);
          setActive(0);
          setProblem(found.length === 0 ? (category ? t('people.noneInScope', { typed }) : t('people.none', { typed })) : null);
        })
        .catch((err: unknown) => !stale && setProblem(err instanceof ApiError ? err.message : String(err)));
    }, 150);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [api, text, category]);

  const add = (p: Chosen) => {
    if (!chosen.some((c) => same(c.key, p.key))) setChosen([...chosen, p]);
    setText('');
    setOptions([]);
    setProblem(null);
  };
  const listId = `${id}-options`;
  const open = options.length > 0;
  return (
    <div class="picker">
      <span class="picker-label" id={`${id}-label`}>
        {label}
      </span>
      {hint !== undefined && <span class="hint">{hint}</span>}
      <ul class="chips" aria-labelledby={`${id}-label`} data-testid={`picker-${name}`}>
        {chosen.map((c) => (
          <li key={c.key} class="chip">
            {c.displayName ?? c.key}
            {c.displayName !== null && <span class="hint"> {c.key}</span>}
            <button type="button" class="link" aria-label={t('people.remove', { name: c.displayName ?? c.key, list: label })} onClick={() => setChosen(chosen.filter((x) => x !== c))}>
              ×
            </button>
          </li>
        ))}
        {chosen.length === 0 && <li class="hint">{t('people.nobody')}</li>}
      </ul>
      <div class="picker-input">
        <input
          role="combobox"
          aria-label={t('people.add', { list: label })}
          aria-expanded={open}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={open ? `${listId}-${active}` : undefined}
          autoComplete="off"
          placeholder={t('people.placeholder')}
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
              if (!open) return;
              e.preventDefault();
              setActive((active + (e.key === 'ArrowDown' ? 1 : options.length - 1)) % options.length);
            } else if (e.key === 'Enter') {
              // Enter picks, and never submits the form from here.
              e.preventDefault();
              const pick = options[active];
              if (open && pick !== undefined) add({ key: pick.key, displayName: pick.displayName });
              else if (text.trim() !== '') add({ key: text.trim(), displayName: null });
            } else if (e.key === 'Escape' && open) {
              e.preventDefault();
              e.stopPropagation();
              setOptions([]);
            } else if (e.key === 'Backspace' && text === '' && chosen.length > 0) {
              setChosen(chosen.slice(0, -1));
            }
          }}
        />
        {open && (
          <ul class="suggestions" role="listbox" id={listId} aria-label={t('people.suggestions', { list: label })}>
            {options.map((o, i) => (
              <li
                key={o.key}
                id={`${listId}-${i}`}
                role="option"
                aria-selected={i === active}
                onMouseDown={(e) => {
                  e.preventDefault();
                  add({ key: o.key, displayName: o.displayName });
                }}
              >
                <span>{o.displayName ?? o.key}</span> <span class="hint">{o.displayName === null ? '' : o.key}</span> <span class="tag">{kindLabel(o.kind)}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
      {problem !== null && (
        <p class="hint" role="status">
          {problem}
        </p>
      )}
      <input type="hidden" name={name} value={JSON.stringify(chosen.map((c) => c.key))} />
    </div>
  );
}

/**
 * A refusal as a person reads it: who is unknown or out of scope, and what to do, rather
 * than the command-line advice the server's message ends with.
 */
export function plainError(err: unknown): string {
  if (!(err instanceof ApiError)) return String(err instanceof Error ? err.message : err);
  const who = err.principals.join(', ');
  if (err.code === 'PRINCIPAL_NOT_PROVISIONED' && who !== '') {
    return t('people.notProvisioned', { who });
  }
  if (err.code === 'PRINCIPAL_OUT_OF_SCOPE' && who !== '') {
    return t('people.outOfScope', { who });
  }
  return err.message;
}
