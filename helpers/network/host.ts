// Network mode "host": shares the host's network namespace; not isolated, and said so everywhere.
import fs from 'node:fs';
import type { NetworkDriver } from './driver.js';

export const hostDriver: NetworkDriver = {
  mode: 'host',
  ownNamespace: false,
  isolated: false,
  validate: (p) => (p.network.ports.length ? [`network.ports: ports are forwarded only with network.mode nat or vpn, not ${p.network.mode}`] : []),
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
