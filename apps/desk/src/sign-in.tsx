import { useEffect, useRef, useState } from 'preact/hooks';
import { deskConfig, providerNotice, signInWithProvider, type OidcSettings } from './provider-sign-in';
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

const PROVIDER_EXPLANATION: Record<SignInReason, string> = {
  'not-signed-in': "The desk signs you in at your organisation's identity provider.",
  ended: EXPLANATION.ended,
  'signed-out': EXPLANATION['signed-out'],
  'bad-link': "Sign-in links are not used here: the desk signs you in at your organisation's identity provider.",
};

/**
 * Sign-in at the identity provider (OpenID Connect, when the service names one): the page
 * leaves for the provider and comes back to the route it was on.
 */
const ProviderSignIn = ({ oidc }: { oidc: OidcSettings }) => {
  const [leaving, setLeaving] = useState(false);
  const [error, setError] = useState<string | undefined>(() => {
    const notice = providerNotice();
    return notice?.kind === 'error' ? notice.message : undefined;
  });
  const go = async () => {
    setLeaving(true);
    setError(undefined);
    try {
      await signInWithProvider(oidc);
    } catch (failure) {
      setLeaving(false);
      setError(
        `${oidc.issuer} cannot be reached now (${failure instanceof Error ? failure.message : String(failure)}). Try again shortly.`,
      );
    }
  };
  return (
    <div class="provider-sign-in">
      <button type="button" onClick={() => void go()} disabled={leaving} aria-describedby={error ? 'provider-error' : undefined}>
        Sign in with {oidc.issuer}
      </button>
      {leaving && <p role="status">Going to {oidc.issuer}…</p>}
      {error && (
        <p id="provider-error" class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
};

/**
 * The sign-in screen. With an identity provider configured (GET /api/desk/config names one):
 * Sign in with <issuer>, which the service then trusts alone. Otherwise the embedded sign-in:
 * a link printed by `npm run cli -- login-link` (opened in this tab, or pasted here, which keeps
 * the page as it is).
 */
export const SignIn = ({ reason, onToken }: { reason: SignInReason; onToken: (token: string) => string | undefined }) => {
  const [pasted, setPasted] = useState('');
  const [error, setError] = useState<string | undefined>();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [reason]);
  const { oidc } = deskConfig();

  if (oidc) {
    // Back from the provider's sign-out: the desk starts afresh, and says why.
    const shown = reason === 'not-signed-in' && providerNotice()?.kind === 'signed-out' ? 'signed-out' : reason;
    return (
      <main class="sign-in" aria-labelledby="sign-in-heading">
        <h1 id="sign-in-heading" tabIndex={-1} ref={heading}>
          {HEADLINE[shown]}
        </h1>
        <p>{PROVIDER_EXPLANATION[shown]}</p>
        {shown === 'signed-out' && providerNotice()?.kind === 'signed-out' && <p>{providerNotice()?.message}</p>}
        <ProviderSignIn oidc={oidc} />
      </main>
    );
  }

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
