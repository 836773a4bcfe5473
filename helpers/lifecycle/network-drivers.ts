// The registry of network drivers by mode.
import { SandtrayError } from '../core/errors.js';
import type { Profile } from '../profile/schema.js';
import type { NetworkDriver } from '../network/driver.js';
import { hostDriver } from '../network/host.js';
import { natDriver } from '../network/nat.js';
import { noneDriver } from '../network/none.js';
import { vpnDriver } from '../vpn/driver.js';

const DRIVERS: Partial<Record<Profile['network']['mode'], NetworkDriver>> = {
  none: noneDriver,
  host: hostDriver,
  nat: natDriver,
  vpn: vpnDriver,
};

/** The driver for a network mode. */
export function networkDriver(mode: Profile['network']['mode']): NetworkDriver {
  const d = DRIVERS[mode];
  if (!d) throw new SandtrayError('HOST_UNSUPPORTED', `Network mode "${mode}" is not available in this build`, 'Use network.mode none or host.');
  return d;
}
