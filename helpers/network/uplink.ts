// The uplink of a VPN sandbox: a network namespace beside the sandbox's, in its user namespace,
// linked to the host by pasta. The VPN client's socket lives here; the sandbox never sees it.
import fs from 'node:fs';
import path from 'node:path';
import { requireTool } from '../host/tools.js';
import type { ProcId } from '../host/proc.js';
import type { SandboxDirs } from '../runtime/store.js';
import type { HelperProc } from './driver.js';
import { spawnHelper, stopHelper, waitFor } from './helper-proc.js';
import { PASTA_LINK, startPasta, type PastaOptions } from './pasta.js';
import { nsInode } from '../host/proc.js';

/**
 * Runs as root of the sandbox's user namespace, in a new network and mount namespace. The host's
 * /etc/resolv.conf may name a resolver on the host's loopback, which is not this namespace's;
 * pasta forwards DNS sent to its DNS address to the host's resolver instead. The VPN client does
 * not run with this mount namespace's files: it gets a jail of its own (vpn/jail.ts).
 */
export const UPLINK_SCRIPT = [
  'set -eu',
  // A host may have none, or a link to a resolver's file that is not there (systemd-resolved
  // stopped): then there is nothing to bind over, and the client's jail binds its own anyway.
  'rc=$(readlink -f /etc/resolv.conf || true)',
  'if [ -n "$rc" ] && [ -e "$rc" ]; then mount --bind -- "$1" "$rc"; fi',
  'exec sleep infinity',
].join('\n');

/** The uplink's resolv.conf: pasta's DNS address (bound over /etc/resolv.conf there and in the client's jail). */
export function uplinkResolvFile(dirs: Pick<SandboxDirs, 'runtime'>): string {
  return path.join(dirs.runtime, 'uplink-resolv.conf');
}

export interface Uplink {
  holder: HelperProc;
  pasta: HelperProc;
}

/** Creates the uplink namespace in the sandbox's user namespace and links it with pasta. */
export async function startUplink(init: ProcId, dirs: SandboxDirs, needs: NonNullable<PastaOptions['uplink']>, onStarted: (h: HelperProc) => void): Promise<Uplink> {
  const resolv = uplinkResolvFile(dirs);
  fs.writeFileSync(resolv, `nameserver ${PASTA_LINK.dns}\n`, { mode: 0o644 });
  const argv = [
    requireTool('nsenter'), `--target=${init.pid}`, '--user', '--',
    requireTool('unshare'), '--net', '--mount', '--',
    '/bin/sh', '-c', UPLINK_SCRIPT, 'sandtray-uplink', fs.realpathSync(resolv),
  ];
  const holder = spawnHelper(argv, { what: 'uplink', logFile: dirs.log });
  onStarted(holder);
  const hostNet = nsInode(process.pid, 'net');
  const hostMnt = nsInode(process.pid, 'mnt');
  // Ready once nsenter and unshare are done and the script has exec'd into sleep.
  await waitFor(() => {
    const n = nsInode(holder.pid, 'net');
    const m = nsInode(holder.pid, 'mnt');
    return n !== null && n !== hostNet && m !== hostMnt && isSleeping(holder.pid);
  }, 10_000, 'The uplink network namespace did not come up', holder);
  // Heard as soon as it is spawned: the start's revert and the runtime record know it from then on.
  const pasta = await startPasta({ nsPid: holder.pid, mapHostLoopback: true, uplink: needs }, dirs.log, 'pasta (uplink)', onStarted);
  return { holder, pasta };
}

function isSleeping(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep';
  } catch {
    return false;
  }
}

/** Stops pasta and the holder; the uplink namespace goes with the last process in it. */
export async function stopUplink(helpers: readonly HelperProc[]): Promise<void> {
  for (const what of ['pasta (uplink)', 'uplink']) {
    for (const h of helpers.filter((x) => x.what === what)) await stopHelper(h);
  }
}
