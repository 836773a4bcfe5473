// Network mode "none": a private network namespace with only loopback (bwrap brings lo up).
import type { NetworkDriver } from './driver.js';

export const noneDriver: NetworkDriver = {
  mode: 'none',
  ownNamespace: true,
  isolated: true,
  validate: (p) => (p.network.ports.length ? [`network.ports: ports are forwarded only with network.mode nat or vpn, not ${p.network.mode}`] : []),
  resolvConf: () => '# No network in this sandbox (network.mode: none).\n',
  describe: () => ['own network namespace with loopback only'],
  setup: async () => [],
  teardown: async () => undefined,
};
