// The network driver interface: each network mode (none, nat, host, vpn) implements it and validates itself.
import type { ProcId } from '../host/proc.js';
import type { Profile } from '../profile/schema.js';
import type { Revert } from '../core/revert.js';
import type { SandboxDirs } from '../runtime/store.js';

/** A host process that belongs to a sandbox (pasta, a VPN client); stopped with it. */
export interface HelperProc extends ProcId {
  what: string;
}

export interface NetworkSetup {
  name: string;
  profile: Profile;
  dirs: SandboxDirs;
  /** pid 1 of the sandbox (its namespaces are /proc/PID/ns/*). */
  init: ProcId;
  /** Register undo steps here; they run if a later step of the start fails. */
  revert: Revert;
  log: (message: string) => void;
  /** Hears each host helper the moment it is spawned, so the runtime record names it at once. */
  onHelper?: (h: HelperProc) => void;
  /** The secrets the driver's secrets() gave, asked for before anything was launched. */
  secrets?: Record<string, string>;
}

export interface NetworkDriver {
  mode: Profile['network']['mode'];
  /** Whether the sandbox gets its own network namespace. */
  ownNamespace: boolean;
  /** Whether `info` and the tray should say the sandbox is network-isolated. */
  isolated: boolean;
  /** Checks profile settings this driver owns; returns problems as `key: what is wrong`. */
  validate(profile: Profile): string[];
  /** Contents of the sandbox's /etc/resolv.conf. */
  resolvConf(profile: Profile): string;
  /** The network steps of a start, in words, for `sandtray plan`. */
  describe(profile: Profile): string[];
  /** The secrets setup will need (keyring, else asked for); start calls it before launching anything. */
  secrets?(name: string, profile: Profile): Promise<Record<string, string>>;
  /** Wires the sandbox's network after pid 1 is up; returns the host helpers it started. */
  setup(ctx: NetworkSetup): Promise<HelperProc[]>;
  /** Tears down what setup made, after the sandbox's processes are gone. */
  teardown(helpers: readonly HelperProc[], dirs: SandboxDirs): Promise<void>;
}
