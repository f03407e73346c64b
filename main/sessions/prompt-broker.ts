import { randomUUID } from 'node:crypto';
import type { HostKeyPromptEvent, SecretPromptEvent } from '../../preload/api';
import { WorkbenchFailure } from '../errors';
import { registerSecret } from '../logging/redact';
import type { UnknownHostKey } from '../ssh/host-key-verifier';
import type { SecretRequest } from '../ssh/ssh-auth';

/** Where prompts go: the event bus, which both adapters carry. */
export interface PromptBrokerOptions {
  readonly emitHostKey: (event: HostKeyPromptEvent) => void;
  readonly emitSecret: (event: SecretPromptEvent) => void;
  /** An unanswered prompt counts as refused (host key) or cancelled (secret) after this long. */
  readonly timeoutMs?: number;
}

/** Asks the user through events and waits for the answer request, one id per question. */
export interface PromptBroker {
  /** The SSH service's `confirmUnknownHost`: true only when the user accepts in time. */
  confirmHostKey(key: UnknownHostKey): Promise<boolean>;
  /** The SSH service's `prompt`: the answer, or null when cancelled or timed out. */
  askSecret(request: SecretRequest): Promise<string | null>;
  /** Throws NOT_FOUND when the prompt is unknown or already over. */
  answerHostKey(promptId: string, accept: boolean): void;
  /** Throws NOT_FOUND when the prompt is unknown or already over. */
  answerSecret(promptId: string, value: string | null): void;
  /** Ends every open prompt as refused (app quit). */
  close(): void;
}

interface OpenPrompt {
  readonly kind: 'host-key' | 'secret';
  finish(answer: boolean | string | null): void;
}

/** Creates the broker; prompts time out after two minutes by default. */
export function createPromptBroker(options: PromptBrokerOptions): PromptBroker {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const open = new Map<string, OpenPrompt>();

  const ask = <T>(kind: OpenPrompt['kind'], announce: (promptId: string) => void, withdraw: (promptId: string) => void, fallback: T): Promise<T> =>
    new Promise<T>((resolve) => {
      const promptId = randomUUID();
      const finish = (answer: boolean | string | null): void => {
        if (!open.delete(promptId)) return;
        clearTimeout(timer);
        withdraw(promptId);
        resolve(answer as T);
      };
      const timer = setTimeout(() => finish(fallback as boolean | string | null), timeoutMs);
      open.set(promptId, { kind, finish });
      announce(promptId);
    });

  const take = (promptId: string, kind: OpenPrompt['kind']): OpenPrompt => {
    const prompt = open.get(promptId);
    if (!prompt || prompt.kind !== kind) {
      throw new WorkbenchFailure('NOT_FOUND', 'That question is no longer open.', {
        subject: promptId,
        hint: 'It was answered or timed out. Connect again to be asked again.',
      });
    }
    return prompt;
  };

  return {
    confirmHostKey(key) {
      const event = (promptId: string): HostKeyPromptEvent => ({ promptId, host: key.host, port: key.port, keyType: key.keyType, fingerprint: key.fingerprint });
      return ask<boolean>(
        'host-key',
        (promptId) => options.emitHostKey(event(promptId)),
        (promptId) => options.emitHostKey({ ...event(promptId), closed: true }),
        false,
      );
    },
    askSecret(request) {
      const event = (promptId: string): SecretPromptEvent => ({ promptId, kind: request.kind, target: request.target, prompt: request.prompt, echo: request.echo });
      return ask<string | null>(
        'secret',
        (promptId) => options.emitSecret(event(promptId)),
        (promptId) => options.emitSecret({ ...event(promptId), closed: true }),
        null,
      );
    },
    answerHostKey(promptId, accept) {
      take(promptId, 'host-key').finish(accept);
    },
    answerSecret(promptId, value) {
      const prompt = take(promptId, 'secret');
      // Registered before anything else sees it, so no log line can carry it.
      if (value !== null && value !== '') registerSecret(value);
      prompt.finish(value);
    },
    close() {
      for (const prompt of [...open.values()]) prompt.finish(prompt.kind === 'host-key' ? false : null);
    },
  };
}
