import { describe, expect, it } from 'vitest';
import type { HostVmList } from '../../../../../preload/api';
import { resyncSessions } from '../../../../../renderer/src/store/logic/resync-sessions';

const vmList = (hostId: string): HostVmList => ({ hostId }) as unknown as HostVmList;

describe('resyncSessions', () => {
  it('takes a listing as the truth for a page that knew nothing (a reload or a second tab)', () => {
    const next = resyncSessions({ sessionStates: {}, vmLists: {} }, [
      { hostId: 'app:1', state: 'connected' },
      { hostId: 'app:2', state: 'disconnected' },
    ]);
    expect(next.sessionStates).toEqual({ 'app:1': 'connected', 'app:2': 'disconnected' });
  });

  it('replaces states the page missed while its socket was down, dropping VM lists of hosts no longer connected', () => {
    const next = resyncSessions(
      { sessionStates: { 'app:1': 'connected', 'app:2': 'connected', 'app:gone': 'connected' }, vmLists: { 'app:1': vmList('app:1'), 'app:2': vmList('app:2'), 'app:gone': vmList('app:gone') } },
      [
        { hostId: 'app:1', state: 'reconnecting' },
        { hostId: 'app:2', state: 'disconnected' },
      ],
    );
    expect(next.sessionStates).toEqual({ 'app:1': 'reconnecting', 'app:2': 'disconnected' });
    expect(Object.keys(next.vmLists)).toEqual(['app:1']);
  });

  it('applies events that arrived while the listing was in flight on top of it', () => {
    const next = resyncSessions(
      { sessionStates: {}, vmLists: {} },
      [{ hostId: 'app:1', state: 'disconnected' }],
      [
        { hostId: 'app:1', state: 'connecting' },
        { hostId: 'app:1', state: 'connected' },
      ],
    );
    expect(next.sessionStates).toEqual({ 'app:1': 'connected' });
  });
});
