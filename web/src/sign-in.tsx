import { useState } from 'preact/hooks';
import { Api, ApiError, type Session } from './api';
import { field } from './forms';

/** The sign-in form: SIP address (sip: optional) and password; the server's message on failure. */
export function SignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn: (s: Session) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (form: HTMLFormElement) => {
    const data = new FormData(form);
    const user = field(data, 'user').trim();
    const password = field(data, 'password');
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await Api.signIn(user.startsWith('sip:') ? user : `sip:${user}`, password));
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'sign-in failed');
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
        <h1>Stoa</h1>
        {notice !== null && <p class="notice">{notice}</p>}
        <label>
          SIP address
          <input name="user" autoComplete="username" placeholder="ana@contoso.com" required autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        {error !== null && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
