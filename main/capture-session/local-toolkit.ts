import { join } from 'node:path';
import type { LocalToolkit } from './host-toolkit';

/**
 * The toolkit built on this machine (a cache hit after the first build), as the capture uploads it.
 *
 * Loaded lazily: building needs gcc, gdb and busybox-static here, and only captures that reach into a
 * guest need it.
 */
export async function buildLocalToolkit(): Promise<LocalToolkit> {
  const { buildToolkit } = await import('../../resources/toolkit/build-toolkit');
  const build = await buildToolkit();
  return { key: build.key, busyboxPath: build.busyboxPath, payloadPath: build.payloadPath, manifestPath: join(build.dir, 'toolkit-manifest.json') };
}
