import { useState } from 'react';
import type { HostEntry, HostNoticeEvent, SessionState, TwinSummary, VmSummary } from '../../../../preload/api';
import { ErrorBanner } from '../../components/error-banner';
import { DiagnosticsContainer } from '../diagnostics/diagnostics-container';
import { moveFocusInList } from '../../components/list-keyboard';
import { useNow } from '../../components/use-now';
import { useWorkbench } from '../../store/store-context';
import { hostErrorAction } from './host-error-action';
import { HostForm } from './host-form';
import { draftFromHost, emptyHostDraft } from './host-form-fields';
import { HostKeyDialog } from './host-key-dialog';
import { HostNotices } from './host-notices';
import { SecretDialog } from './secret-dialog';
import { StartTwinForm } from './start-twin-form';
import { TwinList } from './twin-list';
import { VmList } from './vm-list';
import './hosts.css';

const stateLabels: Record<SessionState, string> = {
  disconnected: 'disconnected',
  connecting: 'connecting…',
  connected: 'connected',
  lost: 'connection lost',
  reconnecting: 'reconnecting…',
};

// One empty list for every host without notices, so the selector's result stays the same object.
const noNotices: readonly HostNoticeEvent[] = [];
const noTwins: readonly TwinSummary[] = [];

/** A connected host's twins, their lease counting down, and their last error. */
function HostTwins({ hostId }: { hostId: string }) {
  const twins = useWorkbench((store) => store.twins[hostId] ?? noTwins);
  const error = useWorkbench((store) => store.twinErrors[hostId]);
  const busy = useWorkbench((store) => store.twinsBusy);
  const renewTwin = useWorkbench((store) => store.renewTwin);
  const destroyTwin = useWorkbench((store) => store.destroyTwin);
  const openTwinForward = useWorkbench((store) => store.openTwinForward);
  const dismissTwinError = useWorkbench((store) => store.dismissTwinError);
  const nowMs = useNow();
  return (
    <>
      {error ? <ErrorBanner error={error} onDismiss={() => dismissTwinError(hostId)} /> : null}
      <TwinList
        twins={twins}
        nowMs={nowMs}
        busy={busy}
        onRenew={(twin) => void renewTwin(hostId, twin.twinId)}
        onDestroy={(twin) => void destroyTwin(hostId, twin.twinId)}
        onOpenForward={(twin, guestPort) => void openTwinForward(hostId, twin.twinId, guestPort)}
      />
    </>
  );
}

/** One host: its state, its actions, its last error and, when connected, its VMs. */
function HostRow({ host }: { host: HostEntry }) {
  const state = useWorkbench((store) => store.sessionStates[host.id] ?? 'disconnected');
  const error = useWorkbench((store) => store.hostErrors[host.id]);
  const vmList = useWorkbench((store) => store.vmLists[host.id]);
  const vmListStale = useWorkbench((store) => store.staleVmLists[host.id] === true);
  const notices = useWorkbench((store) => store.hostNotices[host.id] ?? noNotices);
  const dismissHostNotice = useWorkbench((store) => store.dismissHostNotice);
  const loading = useWorkbench((store) => store.vmsLoading[host.id] ?? false);
  const test = useWorkbench((store) => store.hostTests[host.id]);
  const testing = useWorkbench((store) => store.hostsTesting[host.id] ?? false);
  const testHost = useWorkbench((store) => store.testHost);
  const connectHost = useWorkbench((store) => store.connectHost);
  const disconnectHost = useWorkbench((store) => store.disconnectHost);
  const refreshVms = useWorkbench((store) => store.refreshVms);
  const openHostForm = useWorkbench((store) => store.openHostForm);
  const removeHost = useWorkbench((store) => store.removeHost);
  const dismissHostError = useWorkbench((store) => store.dismissHostError);
  const openCapturePanel = useWorkbench((store) => store.openCapturePanel);
  const startTwin = useWorkbench((store) => store.startTwin);
  const [twinVm, setTwinVm] = useState<VmSummary | null>(null);
  const [startingTwin, setStartingTwin] = useState(false);
  const busy = state === 'connecting' || state === 'reconnecting';
  const connected = state === 'connected';
  const action = error ? hostErrorAction(error.code) : null;
  return (
    <li className="host-item panel" data-testid="host-item" data-host-id={host.id} data-state={state} tabIndex={0} data-list-item aria-label={`${host.alias}, ${stateLabels[state]}`}>
      <div className="host-item-header">
        <span className="host-alias">{host.alias}</span>
        <span className="mono muted">
          {host.user}@{host.hostName}:{host.port}
        </span>
        <span className="muted">{host.source === 'ssh-config' ? 'ssh config' : 'workbench'}</span>
        <span className={`badge badge-small host-state host-state-${state}`} data-testid="host-state">
          {stateLabels[state]}
        </span>
        <span className="button-row host-actions">
          {connected ? (
            <>
              <button type="button" className="button button-small" data-testid="host-refresh" disabled={loading} onClick={() => void refreshVms(host.id)}>
                Refresh VMs
              </button>
              <button type="button" className="button button-small" data-testid="host-disconnect" onClick={() => void disconnectHost(host.id)}>
                Disconnect
              </button>
            </>
          ) : (
            <button type="button" className="button button-small button-primary" data-testid="host-connect" disabled={busy} onClick={() => void connectHost(host.id)}>
              Connect
            </button>
          )}
          <button type="button" className="button button-small button-quiet" data-testid="host-test" disabled={busy || testing} onClick={() => void testHost(host.id)}>
            {testing ? 'Testing…' : 'Test'}
          </button>
          <button type="button" className="button button-small button-quiet" data-testid="host-edit" onClick={() => void openHostForm(host.id)}>
            Edit
          </button>
          {host.source === 'app' ? (
            <button type="button" className="button button-small button-quiet" data-testid="host-remove" onClick={() => void removeHost(host.id)}>
              Remove
            </button>
          ) : null}
        </span>
      </div>
      {error ? (
        <ErrorBanner
          error={error}
          onDismiss={() => dismissHostError(host.id)}
          action={
            action === 'retry' ? (
              <button type="button" className="button" data-testid="host-retry" onClick={() => void connectHost(host.id)}>
                Try again
              </button>
            ) : action === 'edit' ? (
              <button type="button" className="button" data-testid="host-fix" onClick={() => void openHostForm(host.id)}>
                Edit host
              </button>
            ) : null
          }
        />
      ) : null}
      <HostNotices notices={notices} onDismiss={(noticeId) => dismissHostNotice(host.id, noticeId)} />
      {test ? (
        <p className="muted" data-testid="host-test-result">
          Test passed: helper {test.helperVersion} (protocol {test.protocolVersion}), root through {test.privilege === 'root' ? 'a root login' : 'sudo -n'}.
        </p>
      ) : null}
      {loading ? <p className="muted">Listing VMs…</p> : null}
      {connected ? <HostTwins hostId={host.id} /> : null}
      {vmList && connected ? (
        <VmList
          list={vmList}
          stale={vmListStale}
          onCapture={(vm) => openCapturePanel(host.id, vm)}
          onStartTwin={setTwinVm}
          openVmId={twinVm?.id ?? null}
          openPanel={
            twinVm ? (
              <StartTwinForm
                key={twinVm.id}
                hostId={host.id}
                vmId={twinVm.id}
                vmName={twinVm.name ?? twinVm.id}
                busy={startingTwin}
                onCancel={() => setTwinVm(null)}
                onStart={(request) => {
                  setStartingTwin(true);
                  void startTwin(request).then((started) => {
                    setStartingTwin(false);
                    // The job shows in Jobs and the twin here once it is up; a refusal stays above with the form open.
                    if (started) setTwinVm(null);
                  });
                }}
              />
            ) : null
          }
        />
      ) : null}
    </li>
  );
}

/** The Hosts view: the inventory, connections, VM lists, and the host-key and secret dialogs. */
export function HostsContainer() {
  const hosts = useWorkbench((state) => state.hosts);
  const loaded = useWorkbench((state) => state.hostsLoaded);
  const error = useWorkbench((state) => state.hostsError);
  const hostForm = useWorkbench((state) => state.hostForm);
  const hostFormError = useWorkbench((state) => state.hostFormError);
  const hostKeyPrompt = useWorkbench((state) => state.hostKeyPrompts[0]);
  const secretPrompt = useWorkbench((state) => state.secretPrompts[0]);
  const openHostForm = useWorkbench((state) => state.openHostForm);
  const closeHostForm = useWorkbench((state) => state.closeHostForm);
  const saveHost = useWorkbench((state) => state.saveHost);
  const answerHostKey = useWorkbench((state) => state.answerHostKey);
  const answerSecret = useWorkbench((state) => state.answerSecret);
  return (
    <div className="hosts">
      <section className="panel notice">
        <h3 className="panel-title">Connect to a KVM host over SSH</h3>
        <p>
          Each host key is checked against your known_hosts before anything else; on connect the workbench deploys its
          small helper and lists the VMs it could clone.
        </p>
      </section>
      {error ? <ErrorBanner error={error} /> : null}
      <section aria-labelledby="hosts-heading">
        <div className="panel-header">
          <h3 id="hosts-heading" className="panel-title">
            Hosts <span className="muted">({hosts.length})</span>
          </h3>
          <button type="button" className="button button-primary" data-testid="host-add" onClick={() => void openHostForm()} disabled={hostForm !== null}>
            Add host
          </button>
        </div>
        {hostForm ? (
          <HostForm
            key={hostForm.mode === 'edit' ? hostForm.host.id : 'new'}
            mode={hostForm.mode}
            initial={hostForm.mode === 'edit' ? draftFromHost(hostForm.host) : emptyHostDraft}
            fromSshConfig={hostForm.mode === 'edit' && hostForm.host.source === 'ssh-config'}
            serverError={hostFormError}
            onSave={(form) => void saveHost(form)}
            onCancel={closeHostForm}
          />
        ) : null}
        {!loaded ? (
          <p className="muted">Loading…</p>
        ) : hosts.length === 0 ? (
          <p className="muted">No hosts yet. Add one, or define it in ~/.ssh/config.</p>
        ) : (
          <ul className="host-list" aria-label="Hosts" onKeyDown={moveFocusInList}>
            {hosts.map((host) => (
              <HostRow key={host.id} host={host} />
            ))}
          </ul>
        )}
      </section>
      <DiagnosticsContainer />
      {hostKeyPrompt ? <HostKeyDialog key={hostKeyPrompt.promptId} prompt={hostKeyPrompt} onAnswer={(accept) => void answerHostKey(hostKeyPrompt.promptId, accept)} /> : null}
      {!hostKeyPrompt && secretPrompt ? <SecretDialog key={secretPrompt.promptId} prompt={secretPrompt} onAnswer={(value) => void answerSecret(secretPrompt.promptId, value)} /> : null}
    </div>
  );
}
