import { z } from 'zod';

/**
 * The web mode's WebSocket messages.
 *
 * client -> server: `{type:'request', id, method, args}`; server -> client: `{type:'response', id,
 * result}` and `{type:'event', event, payload}`. `args` is validated later, per method, by the same
 * table the Electron adapter uses.
 */
export const clientMessageSchema = z.strictObject({
  type: z.literal('request'),
  id: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  method: z.string().max(64),
  args: z.unknown(),
});

/** A parsed client message. */
export type ClientMessage = z.infer<typeof clientMessageSchema>;
