import { describe, expect, it } from 'vitest';
import type { HostKeyPromptEvent } from '../../../../../preload/api';
import { hostErrorAction } from '../../../../../renderer/src/features/hosts/host-error-action';
import { applyPromptEvent, withoutPrompt } from '../../../../../renderer/src/store/logic/prompt-queue';

const prompt = (promptId: string, closed?: boolean): HostKeyPromptEvent => ({
  promptId, host: 'h', port: 22, keyType: 'ssh-ed25519', fingerprint: 'SHA256:x', ...(closed ? { closed } : {}),
});

describe('prompt queue', () => {
  it('queues new prompts in order and drops one main closed', () => {
    const open = applyPromptEvent(applyPromptEvent([], prompt('a')), prompt('b'));
    expect(open.map((entry) => entry.promptId)).toEqual(['a', 'b']);
    expect(applyPromptEvent(open, prompt('a', true)).map((entry) => entry.promptId)).toEqual(['b']);
    expect(withoutPrompt(open, 'b').map((entry) => entry.promptId)).toEqual(['a']);
  });
});

describe('host error actions', () => {
  it('offers a retry for an unknown key or a lost link, never for a changed key', () => {
    expect(hostErrorAction('HOST_KEY_UNKNOWN')).toBe('retry');
    expect(hostErrorAction('CONNECTION_LOST')).toBe('retry');
    expect(hostErrorAction('HOST_KEY_MISMATCH')).toBeNull();
    expect(hostErrorAction('HOST_KEY_REVOKED')).toBeNull();
    expect(hostErrorAction('SUDO_PASSWORD_REQUIRED')).toBe('edit');
  });
});
