import { describe, expect, it } from 'vitest';
import type { HostKeyPromptEvent, SecretPromptEvent } from '../../../../preload/api';
import { redact } from '../../../../main/logging/redact';
import { createPromptBroker } from '../../../../main/sessions/prompt-broker';

const key = { host: '127.0.0.1', port: 2222, keyType: 'ssh-ed25519', fingerprint: 'SHA256:abc' };

function broker(timeoutMs = 60_000) {
  const hostKeys: HostKeyPromptEvent[] = [];
  const secrets: SecretPromptEvent[] = [];
  const instance = createPromptBroker({ emitHostKey: (event) => hostKeys.push(event), emitSecret: (event) => secrets.push(event), timeoutMs });
  return { instance, hostKeys, secrets };
}

describe('prompt broker', () => {
  it('announces a host key, waits for the answer, then closes the prompt', async () => {
    const { instance, hostKeys } = broker();
    const answer = instance.confirmHostKey(key);
    expect(hostKeys[0]).toMatchObject({ ...key, promptId: expect.any(String) });
    instance.answerHostKey(hostKeys[0]!.promptId, true);
    await expect(answer).resolves.toBe(true);
    expect(hostKeys[1]).toMatchObject({ promptId: hostKeys[0]!.promptId, closed: true });
    expect(() => instance.answerHostKey(hostKeys[0]!.promptId, true)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('refuses a host key nobody answers in time', async () => {
    const { instance, hostKeys } = broker(1);
    await expect(instance.confirmHostKey(key)).resolves.toBe(false);
    expect(hostKeys.at(-1)?.closed).toBe(true);
  });

  it('hands a secret over once and registers it for redaction', async () => {
    const { instance, secrets } = broker();
    const answer = instance.askSecret({ kind: 'password', target: 'u@h:22', prompt: 'Password', echo: false });
    expect(secrets[0]).toMatchObject({ kind: 'password', target: 'u@h:22', echo: false });
    instance.answerSecret(secrets[0]!.promptId, 'hunter2-correct-horse');
    await expect(answer).resolves.toBe('hunter2-correct-horse');
    expect(redact('login with hunter2-correct-horse')).not.toContain('hunter2-correct-horse');
  });

  it('does not let a host-key id answer a secret prompt', async () => {
    const { instance, hostKeys } = broker();
    void instance.confirmHostKey(key);
    expect(() => instance.answerSecret(hostKeys[0]!.promptId, 'x')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    instance.close();
  });
});
