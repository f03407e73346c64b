import { readFile } from 'node:fs/promises';
import { utils, type AnyAuthMethod, type AuthHandlerMiddleware, type AuthenticationType, type Prompt } from 'ssh2';
import { WorkbenchFailure } from '../errors';
import { createLogger } from '../logging/logger';
import { registerSecret } from '../logging/redact';

const log = createLogger('ssh');

/** What the user is asked for while authenticating. */
export interface SecretRequest {
  readonly kind: 'passphrase' | 'password' | 'keyboard-interactive';
  /** `user@host:port`, so the user knows who asks. */
  readonly target: string;
  /** The question: the server's own prompt text, or which key file needs its passphrase. */
  readonly prompt: string;
  /** Whether the answer may be shown while typed (keyboard-interactive can ask non-secret things). */
  readonly echo: boolean;
}

/** Asks the user for a secret; `null` means the user cancelled. Answers never touch the disk. */
export type SecretPrompt = (request: SecretRequest) => Promise<string | null>;

/** What one endpoint may authenticate with. */
export interface AuthOptions {
  readonly username: string;
  readonly target: string;
  /** `SSH_AUTH_SOCK`, when an agent runs. */
  readonly agentSocket?: string;
  /** Private key files to try, in order (missing ones are skipped). */
  readonly identityFiles: readonly string[];
  readonly prompt: SecretPrompt;
  /** How many times a password or a passphrase may be typed wrong. */
  readonly attempts?: number;
}

/** The auth handler and what it learned: a cancel by the user ends the connect as CANCELLED. */
export interface AuthSession {
  readonly handler: AuthHandlerMiddleware;
  /** Set when the user cancelled a prompt, so the connect rejects CANCELLED rather than AUTH_FAILED. */
  failure(): WorkbenchFailure | undefined;
}

type Step = () => Promise<AnyAuthMethod | AuthenticationType | null>;

async function readIdentity(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function isEncryptedKeyError(error: Error): boolean {
  return /passphrase|encrypted|bad decrypt/i.test(error.message);
}

/**
 * Builds an ssh2 auth handler: none (to learn the server's methods), agent, each identity file
 * (asking for a passphrase when it is encrypted), keyboard-interactive, then password.
 *
 * Methods the server does not offer are skipped, so nobody is asked for a password the server would
 * never accept. Every typed answer is registered for redaction before it is used.
 */
export function createAuthSession(options: AuthOptions): AuthSession {
  const attempts = options.attempts ?? 3;
  let cancelled: WorkbenchFailure | undefined;

  const ask = async (kind: SecretRequest['kind'], prompt: string, echo: boolean): Promise<string | null> => {
    const answer = await options.prompt({ kind, target: options.target, prompt, echo });
    if (answer === null) {
      cancelled = new WorkbenchFailure('CANCELLED', `Authentication to ${options.target} was cancelled.`, {
        subject: options.target,
      });
      return null;
    }
    if (!echo) registerSecret(answer);
    return answer;
  };

  const identityStep = (path: string): Step => async () => {
    const data = await readIdentity(path);
    if (data === null) return null;
    const parsed = utils.parseKey(data);
    if (!(parsed instanceof Error)) return { type: 'publickey', username: options.username, key: data };
    if (!isEncryptedKeyError(parsed)) {
      log.warn(`skipping identity file ${path}: ${parsed.message}`);
      return null;
    }
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      const passphrase = await ask('passphrase', `Passphrase for ${path}`, false);
      if (passphrase === null) return null;
      if (!(utils.parseKey(data, passphrase) instanceof Error)) {
        return { type: 'publickey', username: options.username, key: data, passphrase };
      }
    }
    log.warn(`wrong passphrase for ${path} ${attempts} times; skipping it`);
    return null;
  };

  const keyboardStep: Step = async () => ({
    type: 'keyboard-interactive',
    username: options.username,
    prompt: (_name: string, _instructions: string, _lang: string, prompts: Prompt[], finish: (responses: string[]) => void) => {
      void (async () => {
        const answers: string[] = [];
        for (const question of prompts) {
          const answer = await ask('keyboard-interactive', question.prompt, question.echo === true);
          // An empty answer ends the round; the handler then stops because `cancelled` is set.
          if (answer === null) return finish([]);
          answers.push(answer);
        }
        finish(answers);
      })();
    },
  });

  const passwordStep: Step = async () => {
    const password = await ask('password', `Password for ${options.target}`, false);
    return password === null ? null : { type: 'password', username: options.username, password };
  };

  const plan: Array<{ method: AuthenticationType; step: Step }> = [];
  if (options.agentSocket) {
    const agent = options.agentSocket;
    plan.push({ method: 'publickey', step: async () => ({ type: 'agent', username: options.username, agent }) });
  }
  for (const path of options.identityFiles) plan.push({ method: 'publickey', step: identityStep(path) });
  for (let attempt = 0; attempt < attempts; attempt += 1) plan.push({ method: 'keyboard-interactive', step: keyboardStep });
  for (let attempt = 0; attempt < attempts; attempt += 1) plan.push({ method: 'password', step: passwordStep });

  let started = false;
  const handler: AuthHandlerMiddleware = (methodsLeft, _partialSuccess, next) => {
    if (!started) {
      started = true;
      next({ type: 'none', username: options.username });
      return;
    }
    void (async () => {
      try {
        while (plan.length > 0 && cancelled === undefined) {
          const candidate = plan.shift();
          // ssh2 passes null before the server has listed its methods.
          if (candidate === undefined || (methodsLeft !== null && !methodsLeft.includes(candidate.method))) continue;
          const method = await candidate.step();
          if (method !== null && cancelled === undefined) return next(method);
        }
        next(false as unknown as AuthenticationType); // ssh2 reads `false` as "no more methods"; its types omit it.
      } catch (error) {
        log.warn(`authentication step failed for ${options.target}`, error);
        next(false as unknown as AuthenticationType); // as above
      }
    })();
  };

  return { handler, failure: () => cancelled };
}
