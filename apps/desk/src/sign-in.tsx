import { useEffect, useRef, useState } from 'preact/hooks';
import { tokenFromPaste } from './session';

/** Why the sign-in screen shows. */
export type SignInReason = 'not-signed-in' | 'ended' | 'signed-out' | 'bad-link';

const HEADLINE: Record<SignInReason, string> = {
  'not-signed-in': 'Sign in to the agent desk',
  ended: 'Your session ended',
  'signed-out': 'You signed out',
  'bad-link': 'That sign-in link did not work',
};

const EXPLANATION: Record<SignInReason, string> = {
  'not-signed-in': 'The desk needs a sign-in link.',
  ended:
    'The service no longer accepts your sign-in (it expired or was revoked). Sign in again to carry on where you were: nothing on the page was lost.',
  'signed-out': 'Your sign-in was removed from this tab.',
  'bad-link': 'The link carried no readable token. Ask for a new one.',
};

/**
 * The embedded sign-in: a link printed by `npm run cli -- login-link` (opened in this tab, or
 * pasted here, which keeps the page as it is). OpenID Connect sign-in is not built yet.
 */
export const SignIn = ({ reason, onToken }: { reason: SignInReason; onToken: (token: string) => string | undefined }) => {
  const [pasted, setPasted] = useState('');
  const [error, setError] = useState<string | undefined>();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [reason]);

  const submit = (event: Event) => {
    event.preventDefault();
    const token = tokenFromPaste(pasted);
    if (token === '') {
      setError('Paste the sign-in link (or the token alone) first.');
      return;
    }
    const refusal = onToken(token);
    setError(refusal);
    if (refusal === undefined) setPasted('');
  };

  return (
    <main class="sign-in" aria-labelledby="sign-in-heading">
      <h1 id="sign-in-heading" tabIndex={-1} ref={heading}>
        {HEADLINE[reason]}
      </h1>
      <p>{EXPLANATION[reason]}</p>
      <p>
        On the service's machine, run <code>npm run cli -- login-link --sub &lt;your agent id&gt; --roles agent</code> and open the link it
        prints, or paste it here.
      </p>
      <form onSubmit={submit} noValidate>
        <label for="sign-in-link">Sign-in link or token</label>
        <input
          id="sign-in-link"
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={pasted}
          onInput={(event) => setPasted((event.target as HTMLInputElement).value)}
          aria-describedby={error ? 'sign-in-error' : undefined}
          aria-invalid={error ? true : undefined}
        />
        <button type="submit">Sign in</button>
        {error && (
          <p id="sign-in-error" class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
};
