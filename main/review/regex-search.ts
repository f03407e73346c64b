import { createContext, runInContext } from 'node:vm';

/** The longest search the process query accepts, in characters. */
export const MAX_SEARCH_CHARS = 256;

/** How long one regex search may run before it is stopped (catastrophic backtracking). */
export const REGEX_BUDGET_MS = 1500;

/** The rows a search matched, or why it could not run. */
export type SearchOutcome = { readonly ok: true; readonly matched: Uint8Array } | { readonly ok: false; readonly message: string };

/** Matches a plain search: every whitespace-separated word must occur (case-insensitive). */
export function plainSearch(texts: readonly string[], search: string): Uint8Array {
  const words = search.toLowerCase().split(/\s+/).filter((word) => word.length > 0);
  const matched = new Uint8Array(texts.length);
  for (let index = 0; index < texts.length; index += 1) {
    const text = texts[index] ?? '';
    let all = true;
    for (const word of words) {
      if (!text.includes(word)) {
        all = false;
        break;
      }
    }
    if (all) matched[index] = 1;
  }
  return matched;
}

// The regex runs inside a vm context with a timeout: V8 interrupts a backtracking regex there, so a
// pattern like (a+)+$ costs the budget and an error message, never a frozen main process.
const scanner = `(() => {
  const expression = new RegExp(pattern, 'im');
  for (let index = 0; index < texts.length; index += 1) if (expression.test(texts[index])) matched[index] = 1;
})()`;

/** Runs a case-insensitive, multiline regex over the texts within a time budget. */
export function regexSearch(texts: readonly string[], pattern: string, budgetMs = REGEX_BUDGET_MS): SearchOutcome {
  if (pattern.length > MAX_SEARCH_CHARS) return { ok: false, message: `The pattern is longer than ${MAX_SEARCH_CHARS} characters.` };
  try {
    new RegExp(pattern, 'im');
  } catch (error) {
    return { ok: false, message: `Not a valid regular expression: ${error instanceof Error ? error.message : String(error)}` };
  }
  const matched = new Uint8Array(texts.length);
  try {
    runInContext(scanner, createContext({ texts, pattern, matched }), { timeout: budgetMs });
  } catch {
    return { ok: false, message: `The pattern took longer than ${budgetMs} ms and was stopped; simplify it (nested repeats like (a+)+ backtrack).` };
  }
  return { ok: true, matched };
}
