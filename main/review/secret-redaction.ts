import type { EnvironmentEntry, GuestText } from '../../preload/api';
import type { GuestString } from '../bundle/bundle-schema';
import { guestStringContent, toGuestText } from '../bundle/guest-text';

/** What a hidden value shows instead. */
export const REDACTED = '[redacted]';

// Names that usually hold credentials. Matching is generous on purpose: hiding a harmless value costs
// a click, showing a password in a report costs a rotation.
const SECRET_NAME = /pass(word|wd)?|token|secret|key|credential|private|auth|cookie|session|api_?key/i;

/** True when a variable or option name looks like it holds a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** Splits a stored `NAME=value` environment string at its first `=`, keeping the exact bytes of each half. */
export function splitEnvironmentEntry(value: GuestString): { name: string | Uint8Array; value: string | Uint8Array } {
  const content = guestStringContent(value);
  if (typeof content === 'string') {
    const at = content.indexOf('=');
    return at < 0 ? { name: content, value: '' } : { name: content.slice(0, at), value: content.slice(at + 1) };
  }
  const at = content.indexOf(0x3d);
  return at < 0 ? { name: content, value: new Uint8Array() } : { name: content.subarray(0, at), value: content.subarray(at + 1) };
}

/** The environment of a process for display, secrets hidden unless `reveal`. */
export function environmentEntries(environment: readonly GuestString[], reveal: boolean): EnvironmentEntry[] {
  return environment.map((entry) => {
    const parts = splitEnvironmentEntry(entry);
    const name = toGuestText(parts.name, { maxChars: 512 });
    const secret = isSecretName(name.text);
    const value: GuestText = secret && !reveal ? { text: REDACTED } : toGuestText(parts.value);
    return { name, value, redacted: secret && !reveal };
  });
}

/**
 * Hides secret values in an argv: `--password=x` becomes `--password=[redacted]`, and the word after a
 * bare `--token` or `-p`-style secret option is hidden too.
 */
export function redactArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  let hideNext = false;
  for (const argument of argv) {
    if (hideNext) {
      out.push(REDACTED);
      hideNext = false;
      continue;
    }
    const equals = argument.indexOf('=');
    if (equals > 0 && isSecretName(argument.slice(0, equals))) {
      out.push(`${argument.slice(0, equals + 1)}${REDACTED}`);
      continue;
    }
    if (/^--?[A-Za-z]/.test(argument) && equals < 0 && isSecretName(argument)) hideNext = true;
    out.push(argument);
  }
  return out;
}

/** `redactArgv` over display texts, keeping each argument's truncation mark. */
export function redactArgvTexts(argv: readonly GuestText[]): GuestText[] {
  const redacted = redactArgv(argv.map((argument) => argument.text));
  return argv.map((argument, index) => (redacted[index] === argument.text ? argument : { text: redacted[index] ?? REDACTED }));
}
