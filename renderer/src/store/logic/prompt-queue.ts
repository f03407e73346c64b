import type { HostKeyPromptEvent, SecretPromptEvent } from '../../../../preload/api';

/**
 * The open prompts after an event: a new one is queued, a `closed` one is dropped.
 *
 * Main may close a prompt (answered elsewhere, or timed out) while its dialog is up; the dialog then
 * goes away instead of answering a question nobody is asking any more.
 */
export function applyPromptEvent<T extends HostKeyPromptEvent | SecretPromptEvent>(open: readonly T[], event: T): readonly T[] {
  const rest = open.filter((prompt) => prompt.promptId !== event.promptId);
  return event.closed ? rest : [...rest, event];
}

/** The prompts without the one just answered. */
export function withoutPrompt<T extends { readonly promptId: string }>(open: readonly T[], promptId: string): readonly T[] {
  return open.filter((prompt) => prompt.promptId !== promptId);
}
