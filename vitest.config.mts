import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// Test tiers. Unit tiers use fakes and run in seconds; integration and UI tiers start real servers
// (sshd, QEMU, the web mode, Chromium) and run one file at a time so they do not fight over 2 cores.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit-main',
          environment: 'node',
          include: ['test/unit/main/**/*.test.ts', 'test/unit/preload/**/*.test.ts', 'test/unit/cli/**/*.test.ts'],
        },
      },
      {
        plugins: [react()],
        test: {
          name: 'unit-renderer',
          environment: 'happy-dom',
          include: ['test/unit/renderer/**/*.test.{ts,tsx}'],
        },
      },
      {
        test: {
          name: 'integration',
          environment: 'node',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/lab-global-setup.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          name: 'ui',
          environment: 'node',
          include: ['test/ui/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
