import type { WorkbenchRequestName } from '../../../preload/api';

/**
 * Every request method of the contract, in contract order.
 *
 * The web server's handler table must hold exactly these; a test compares the two.
 */
export const workbenchRequestNames = [
  'getAppInfo',
  'listJobs',
  'cancelJob',
  'listRecentCaptures',
  'getSampleCapturePath',
  'pickCapturePath',
  'pathForDroppedFile',
  'openCapture',
  'closeCapture',
  'getProcesses',
  'getFindings',
  'getLaunchCapturePath',
  'queryProcesses',
  'getProcessDetail',
  'getCaptureFacts',
  'getSystemFacts',
  'getSockets',
  'getTriage',
  'setTriage',
  'compareCaptures',
  'exportReport',
  'readArtifact',
  'listHosts',
  'getHost',
  'addHost',
  'editHost',
  'removeHost',
  'testHost',
  'connectHost',
  'disconnectHost',
  'listSessions',
  'listVms',
  'answerHostKey',
  'answerSecret',
  'startCapture',
  'getCaptureOutcome',
  'getWorkstationKey',
  'setWorkstationKeyName',
] as const satisfies readonly WorkbenchRequestName[];

/** The request methods the web adapter sends over its socket: all but the dropped-file upload, which is an HTTP POST. */
export const webSocketRequestNames = workbenchRequestNames.filter(
  (name): name is WebSocketRequestName => name !== 'pathForDroppedFile',
);

/** A request method carried over the web socket. */
export type WebSocketRequestName = Exclude<WorkbenchRequestName, 'pathForDroppedFile'>;

// Fails to compile when the contract gains a request method that is missing above.
type MissingRequestName = Exclude<WorkbenchRequestName, (typeof workbenchRequestNames)[number]>;
const everyRequestNameListed: MissingRequestName extends never ? true : MissingRequestName = true;
void everyRequestNameListed;
