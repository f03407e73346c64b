import { forgetSecret, registerSecret } from '../logging/redact';
import { createSessionToken, tokenMatches } from './session-token';

/** What presenting a sign-in token came to. */
export type SignInOutcome =
  | { readonly outcome: 'signed-in'; readonly session: string }
  /** The token was real but has been exchanged already: the link is dead. */
  | { readonly outcome: 'used' }
  | { readonly outcome: 'invalid' };

/** One-time sign-in tokens (the printed URL's) and the session secrets they are exchanged for. */
export interface SignIn {
  /** Mints a new one-time token; the first comes from `initialToken` when given. */
  issue(): string;
  /** Exchanges a one-time token for a new session secret; each token works exactly once. */
  exchange(presented: string): SignInOutcome;
  /** True when `presented` is the secret of a session some exchange created. */
  sessionValid(presented: string | undefined): boolean;
  /** Forgets every token and session (the server is closing); their redaction ends too. */
  close(): void;
}

/**
 * Keeps the web mode's sign-in state.
 *
 * The URL's token only buys a session cookie, once: a link copied to a second browser, a shell
 * history or a screenshot is dead after the first exchange. The cookie is a separate random secret,
 * so the token never sits in a browser's cookie jar.
 */
export function createSignIn(initialToken?: string): SignIn {
  const unused: string[] = [];
  const used: string[] = [];
  const sessions: string[] = [];
  let first = initialToken;

  const remember = (list: string[], secret: string): void => {
    registerSecret(secret);
    list.push(secret);
  };
  // Every entry is compared (no early exit), so the time taken does not say which list matched.
  const indexIn = (list: readonly string[], presented: string): number => {
    let found = -1;
    list.forEach((secret, index) => {
      if (tokenMatches(presented, secret)) found = index;
    });
    return found;
  };

  return {
    issue() {
      const token = first ?? createSessionToken();
      first = undefined;
      remember(unused, token);
      return token;
    },
    exchange(presented) {
      const index = indexIn(unused, presented);
      if (index < 0) return indexIn(used, presented) >= 0 ? { outcome: 'used' } : { outcome: 'invalid' };
      const [token] = unused.splice(index, 1);
      if (token !== undefined) used.push(token);
      const session = createSessionToken();
      remember(sessions, session);
      return { outcome: 'signed-in', session };
    },
    sessionValid(presented) {
      return typeof presented === 'string' && indexIn(sessions, presented) >= 0;
    },
    close() {
      for (const secret of [...unused, ...used, ...sessions]) forgetSecret(secret);
      unused.length = 0;
      used.length = 0;
      sessions.length = 0;
    },
  };
}
