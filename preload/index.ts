import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { Result, WorkbenchApi, WorkbenchEvents } from './api';
import { eventChannel, requestChannel } from './channels';

// The sandboxed preload: the contract, one line per method, nothing generic. Validation happens in
// main, so nothing here is trusted and nothing here decides.

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

const api: WorkbenchApi = {
  getAppInfo: () => ipcRenderer.invoke(requestChannel('getAppInfo'), null),
  listJobs: () => ipcRenderer.invoke(requestChannel('listJobs'), null),
  cancelJob: (args) => ipcRenderer.invoke(requestChannel('cancelJob'), args),
  listRecentCaptures: () => ipcRenderer.invoke(requestChannel('listRecentCaptures'), null),
  getSampleCapturePath: () => ipcRenderer.invoke(requestChannel('getSampleCapturePath'), null),
  pickCapturePath: () => ipcRenderer.invoke(requestChannel('pickCapturePath'), null),
  pathForDroppedFile: (file) => Promise.resolve(droppedFilePath(file)),
  openCapture: (args) => ipcRenderer.invoke(requestChannel('openCapture'), args),
  closeCapture: (args) => ipcRenderer.invoke(requestChannel('closeCapture'), args),
  getProcesses: (args) => ipcRenderer.invoke(requestChannel('getProcesses'), args),
  getFindings: (args) => ipcRenderer.invoke(requestChannel('getFindings'), args),
  getLaunchCapturePath: () => ipcRenderer.invoke(requestChannel('getLaunchCapturePath'), null),
  queryProcesses: (args) => ipcRenderer.invoke(requestChannel('queryProcesses'), args),
  getProcessDetail: (args) => ipcRenderer.invoke(requestChannel('getProcessDetail'), args),
  getCaptureFacts: (args) => ipcRenderer.invoke(requestChannel('getCaptureFacts'), args),
  getSystemFacts: (args) => ipcRenderer.invoke(requestChannel('getSystemFacts'), args),
  getSockets: (args) => ipcRenderer.invoke(requestChannel('getSockets'), args),
  getTriage: (args) => ipcRenderer.invoke(requestChannel('getTriage'), args),
  setTriage: (args) => ipcRenderer.invoke(requestChannel('setTriage'), args),
  compareCaptures: (args) => ipcRenderer.invoke(requestChannel('compareCaptures'), args),
  exportReport: (args) => ipcRenderer.invoke(requestChannel('exportReport'), args),
  readArtifact: (args) => ipcRenderer.invoke(requestChannel('readArtifact'), args),
  listHosts: () => ipcRenderer.invoke(requestChannel('listHosts'), null),
  getHost: (args) => ipcRenderer.invoke(requestChannel('getHost'), args),
  addHost: (args) => ipcRenderer.invoke(requestChannel('addHost'), args),
  editHost: (args) => ipcRenderer.invoke(requestChannel('editHost'), args),
  removeHost: (args) => ipcRenderer.invoke(requestChannel('removeHost'), args),
  testHost: (args) => ipcRenderer.invoke(requestChannel('testHost'), args),
  connectHost: (args) => ipcRenderer.invoke(requestChannel('connectHost'), args),
  disconnectHost: (args) => ipcRenderer.invoke(requestChannel('disconnectHost'), args),
  listSessions: () => ipcRenderer.invoke(requestChannel('listSessions'), null),
  listVms: (args) => ipcRenderer.invoke(requestChannel('listVms'), args),
  answerHostKey: (args) => ipcRenderer.invoke(requestChannel('answerHostKey'), args),
  answerSecret: (args) => ipcRenderer.invoke(requestChannel('answerSecret'), args),
  startCapture: (args) => ipcRenderer.invoke(requestChannel('startCapture'), args),
  getCaptureOutcome: (args) => ipcRenderer.invoke(requestChannel('getCaptureOutcome'), args),
  getWorkstationKey: () => ipcRenderer.invoke(requestChannel('getWorkstationKey'), null),
  setWorkstationKeyName: (args) => ipcRenderer.invoke(requestChannel('setWorkstationKeyName'), args),
  onJobProgress: (listener) => subscribe('jobProgress', listener),
  onSessionState: (listener) => subscribe('sessionState', listener),
  onHostKeyPrompt: (listener) => subscribe('hostKeyPrompt', listener),
  onSecretPrompt: (listener) => subscribe('secretPrompt', listener),
  onHostNotice: (listener) => subscribe('hostNotice', listener),
};

contextBridge.exposeInMainWorld('workbench', api);
