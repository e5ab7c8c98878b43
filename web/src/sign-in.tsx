import { useEffect, useState } from 'preact/hooks';
import { Api, ApiError, type Session } from './api';
import { field } from './forms';
import { LanguagePicker } from './language';
import { BRAND, t } from './i18n';

/**
 * The sign-in form — SIP address (or, with directory sign-in, any name the directory knows)
 * and password — and a button per OpenID Connect provider. A provider's sign-in comes back
 * to this page with `?signin=<one-time code>` (exchanged here for a session) or
 * `?signin-error=<what went wrong>` (shown).
 */
export function SignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn: (s: Session) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [providers, setProviders] = useState<{ name: string; label: string; start: string }[]>([]);
  useEffect(() => {
    const params = new URLSearchParams(location.search);
    const code = params.get('signin');
    const failed = params.get('signin-error');
    if (code !== null || failed !== null) history.replaceState(null, '', location.pathname + location.hash);
    if (failed !== null) setError(failed);
    if (code !== null) {
      setBusy(true);
      Api.exchange(code).then(onSignedIn, (err: unknown) => {
        setError(err instanceof ApiError ? err.message : t('signIn.failed'));
        setBusy(false);
      });
    }
    Api.providers().then(setProviders, () => setProviders([]));
  }, []);
  const submit = async (form: HTMLFormElement) => {
    const data = new FormData(form);
    const user = field(data, 'user').trim();
    const password = field(data, 'password');
    setBusy(true);
    setError(null);
    try {
      // As typed: a SIP address (sip: optional), or a directory user name (UPN, CONTOSO\\ana).
      onSignedIn(await Api.signIn(user, password));
    } catch (err) {
      setError(err instanceof ApiError ? err.message : t('signIn.failed'));
      setBusy(false);
    }
  };
  return (
    <main class="sign-in">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit(e.currentTarget);
        }}
      >
        <h1>{BRAND}</h1>
        {notice !== null && <p class="notice">{notice}</p>}
        <label>
          {t('signIn.user')}
          <input name="user" autoComplete="username" placeholder={t('signIn.placeholder')} required autoFocus />
        </label>
        <label>
          {t('signIn.password')}
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        {error !== null && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? t('signIn.busy') : t('signIn.submit')}
        </button>
        <LanguagePicker />
        {providers.length > 0 && (
          <div class="providers">
            {providers.map((p) => (
              <a key={p.name} class="button provider" href={p.start}>
                {p.label}
              </a>
            ))}
          </div>
        )}
      </form>
    </main>
  );
}
