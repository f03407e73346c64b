import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { WorkstationKeyInfo } from '../../../../preload/api';
import { ErrorBanner } from '../../components/error-banner';
import { useWorkbench } from '../../store/store-context';
import { WorkstationKeySection, publicKeyFileName } from './workstation-key-section';
import './settings.css';

/** Hands the public key to the browser as a file download; the object URL is never navigated to. */
function exportPublicKey(key: WorkstationKeyInfo): void {
  const url = URL.createObjectURL(new Blob([key.publicKeyPem], { type: 'application/x-pem-file' }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = publicKeyFileName(key);
  anchor.click();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** Settings: connects the store to the workstation key section. */
export function SettingsContainer() {
  const state = useWorkbench(useShallow((store) => ({ workstationKey: store.workstationKey, error: store.settingsError })));
  const actions = useWorkbench(useShallow((store) => ({ load: store.loadWorkstationKey, rename: store.renameWorkstationKey })));
  useEffect(() => {
    void actions.load();
  }, [actions]);
  return (
    <div className="settings">
      {state.error ? <ErrorBanner error={state.error} /> : null}
      {state.workstationKey ? (
        <WorkstationKeySection
          key={state.workstationKey.fingerprint}
          workstationKey={state.workstationKey}
          onRename={(name) => void actions.rename(name)}
          onExport={exportPublicKey}
        />
      ) : state.error ? null : (
        <p className="muted">Reading the workstation key…</p>
      )}
    </div>
  );
}
