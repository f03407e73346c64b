import { transportRequestNames, type TransportRequestName, workbenchRequestNames } from '../../../preload/api';

// The one list lives in the contract (`preload/api.ts`); these names keep the renderer's old imports.

/** Every request method of the contract, in contract order. */
export { workbenchRequestNames };

/** The request methods the web adapter sends over its socket: all but the dropped-file upload, which is an HTTP POST. */
export const webSocketRequestNames: readonly WebSocketRequestName[] = transportRequestNames;

/** A request method carried over the web socket. */
export type WebSocketRequestName = TransportRequestName;
