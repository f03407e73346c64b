import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import {
  type Result,
  type TransportRequestName,
  transportRequestNames,
  type WorkbenchApi,
  type WorkbenchEventName,
  type WorkbenchEvents,
  workbenchEventSubscriptions,
} from './api';
import { eventChannel, requestChannel } from './channels';

// The sandboxed preload: the contract, one function per method (built from the contract's method
// list), nothing generic. Validation happens in main, so nothing here is trusted and nothing here
// decides.

function subscribe<K extends keyof WorkbenchEvents>(name: K, listener: (event: WorkbenchEvents[K]) => void): () => void {
  const wrapped = (_event: IpcRendererEvent, payload: WorkbenchEvents[K]): void => listener(payload);
  ipcRenderer.on(eventChannel(name), wrapped);
  return () => {
    ipcRenderer.removeListener(eventChannel(name), wrapped);
  };
}

function droppedFilePath(file: File): Result<string> {
  const path = webUtils.getPathForFile(file);
  return path
    ? { ok: true, value: path }
    : { ok: false, error: { code: 'NOT_SUPPORTED', message: 'That item is not a file on this computer.', hint: 'Drop a .civic file or a capture folder.' } };
}

/** One named function per transport request of the contract, each on its own channel. */
function requestFunctions(): Pick<WorkbenchApi, TransportRequestName> {
  const functions: Record<string, (args?: unknown) => Promise<unknown>> = {};
  for (const method of transportRequestNames) {
    const channel = requestChannel(method);
    functions[method] = (args?: unknown) => ipcRenderer.invoke(channel, args ?? null);
  }
  // Each function forwards its own method's argument and resolves to what main answers for it.
  return functions as unknown as Pick<WorkbenchApi, TransportRequestName>;
}

/** One subscription function per event of the contract. */
function eventSubscriptions(): Pick<WorkbenchApi, WorkbenchEventName> {
  const functions: Record<string, (listener: (payload: unknown) => void) => () => void> = {};
  for (const [subscription, event] of Object.entries(workbenchEventSubscriptions)) {
    functions[subscription] = (listener) => subscribe(event, listener);
  }
  // Each subscription hands its listener the payload of its own event.
  return functions as unknown as Pick<WorkbenchApi, WorkbenchEventName>;
}

const api: WorkbenchApi = {
  ...requestFunctions(),
  pathForDroppedFile: (file) => Promise.resolve(droppedFilePath(file)),
  ...eventSubscriptions(),
};

contextBridge.exposeInMainWorld('workbench', api);
