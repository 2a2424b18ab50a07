import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Tests never write into the real user's directories: tk's default (XDG) locations point into a
// throwaway tree. Tests that need their own TK_HOME / TART_HOME still set them explicitly.
const xdg = join(tmpdir(), "tk-test-xdg");

export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: keep workers low so sim VMs and pty tests are not starved.
    maxWorkers: 2,
    pool: 'forks',
    env: {
      XDG_STATE_HOME: join(xdg, 'state'),
      XDG_CONFIG_HOME: join(xdg, 'config'),
      XDG_CACHE_HOME: join(xdg, 'cache'),
    },
  },
});
