import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { type Result, transportRequestNames } from '../../preload/api';
import { eventChannel, requestChannel } from '../../preload/channels';
import { dispatchRequest } from '../contract/dispatch';
import { workbenchError } from '../errors';
import type { WorkbenchServices } from '../services';

/** What identifies our window's main frame. */
export interface TrustedFrame {
  readonly webContentsId: number;
  readonly url: string;
}

/**
 * True when the request comes from our window's top frame showing our page.
 *
 * Sub-frames and other windows are refused, so a frame that somehow loads foreign content cannot
 * reach the services.
 */
export function isTrustedSender(event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>, trusted: TrustedFrame): boolean {
  const frame = event.senderFrame;
  if (!frame) return false;
  if (event.sender.id !== trusted.webContentsId) return false;
  if (frame.parent !== null) return false;
  const url = frame.url.split('#')[0];
  return url === trusted.url.split('#')[0];
}

/**
 * Registers one `ipcMain.handle` per request of the contract and forwards events to the window.
 *
 * Each handler checks the sender, then hands over to `dispatchRequest` (schema + service). Returns a
 * function that removes everything it registered.
 */
export function registerIpc(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  services: WorkbenchServices,
  window: { webContents: Pick<WebContents, 'id' | 'send' | 'isDestroyed'> },
  trustedUrl: () => string,
): () => void {
  for (const method of transportRequestNames) {
    ipcMain.handle(requestChannel(method), async (event, args: unknown): Promise<Result<unknown>> => {
      if (!isTrustedSender(event, { webContentsId: window.webContents.id, url: trustedUrl() })) {
        return { ok: false, error: workbenchError('UNTRUSTED_SENDER', 'Refused a request from an untrusted frame.') };
      }
      return dispatchRequest(services, method, args ?? null);
    });
  }
  const detach = services.events.forward((name, payload) => {
    if (!window.webContents.isDestroyed()) window.webContents.send(eventChannel(name), payload);
  });
  return () => {
    detach();
    for (const method of transportRequestNames) ipcMain.removeHandler(requestChannel(method));
  };
}
