import { homedir } from 'node:os';
import { join } from 'node:path';
import { productName } from '../app/app-version';

/**
 * The app data folder the CLI and web mode use: the same one Electron's `userData` points to.
 *
 * `CIVIC_DATA_DIR` overrides it (tests, portable installs).
 */
export function defaultAppDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const override = env['CIVIC_DATA_DIR'];
  if (override) return override;
  const home = homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', productName);
  if (platform === 'win32') return join(env['APPDATA'] ?? join(home, 'AppData', 'Roaming'), productName);
  return join(env['XDG_CONFIG_HOME'] ?? join(home, '.config'), productName);
}
