import type { Result } from '../../../preload/api';

/** What every pending or later request resolves to once the web socket has closed. */
export const connectionLostResult: Result<never> = {
  ok: false,
  error: {
    code: 'CONNECTION_LOST',
    message: 'The connection to the workbench service was lost.',
    hint: 'Reload the page.',
  },
};
