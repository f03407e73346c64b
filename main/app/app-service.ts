import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppInfo, TransportKind } from '../../preload/api';
import { WorkbenchFailure } from '../errors';
import { appVersion, productName } from './app-version';

/** App-level facts and adapter-provided actions. */
export interface AppService {
  info(): Promise<AppInfo>;
  sampleCapturePath(): Promise<string>;
  pickCapturePath(): Promise<string | null>;
}

/** The sample capture's file name inside resources/samples/. */
export const sampleCaptureFile = 'sample.civic';

/** What the app service needs from its adapter. */
export interface AppServiceDeps {
  /** The folder holding `samples/` (the repo's resources/, or the packaged copy). */
  readonly resourcesDir: string;
  readonly transport: TransportKind;
  /** A native "open capture" dialog; absent in web mode and the CLI. */
  readonly pickCapturePath?: () => Promise<string | null>;
}

/** Creates the app service: what the app is, where its sample capture is, and the native file dialog when there is one. */
export function createAppService(deps: AppServiceDeps): AppService {
  return {
    async info() {
      return {
        name: productName,
        version: appVersion,
        transport: deps.transport,
        platform: process.platform,
        hasNativeDialogs: deps.pickCapturePath !== undefined,
      };
    },
    async sampleCapturePath() {
      const path = join(deps.resourcesDir, 'samples', sampleCaptureFile);
      try {
        await access(path);
      } catch {
        throw new WorkbenchFailure('NOT_FOUND', 'The sample capture is missing from this installation.', {
          subject: path,
          hint: 'Reinstall Civic Workbench, or open a capture of your own.',
        });
      }
      return path;
    },
    async pickCapturePath() {
      if (!deps.pickCapturePath) {
        throw new WorkbenchFailure('NOT_SUPPORTED', 'There is no file dialog in this mode.', {
          hint: 'Type the capture path, or drop the .civic file on the window.',
        });
      }
      return deps.pickCapturePath();
    },
  };
}
