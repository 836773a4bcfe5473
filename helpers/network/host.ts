// Network mode "host": shares the host's network namespace; not isolated, and said so everywhere.
import fs from 'node:fs';
import type { NetworkDriver } from './driver.js';

export const hostDriver: NetworkDriver = {
  mode: 'host',
  ownNamespace: false,
  isolated: false,
  validate: () => [],
  describe: () => ["shares the host's network namespace: NOT network-isolated"],
  resolvConf: () => {
    try {
      return fs.readFileSync('/etc/resolv.conf', 'utf8');
    } catch {
      return '';
    }
  },
  setup: async () => [],
  teardown: async () => undefined,
};
