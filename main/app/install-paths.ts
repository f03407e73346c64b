import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The project root when running from a checkout or an npm install (the CLI and web mode).
 *
 * Found by walking up from this file to the folder with package.json, so it holds for the built
 * out/main/cli.js and for the sources run by tests alike.
 */
export function findInstallRoot(start: string = __dirname): string {
  let folder = start;
  for (;;) {
    if (existsSync(join(folder, 'package.json')) && existsSync(join(folder, 'resources'))) return folder;
    const parent = dirname(folder);
    if (parent === folder) throw new Error(`No Civic Workbench installation above ${start}`);
    folder = parent;
  }
}

/** Where resources/ and the built renderer live for the CLI and web mode. */
export function installPaths(root: string = findInstallRoot()): { resourcesDir: string; rendererDir: string } {
  return { resourcesDir: join(root, 'resources'), rendererDir: join(root, 'out', 'renderer') };
}
