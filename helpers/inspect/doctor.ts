// doctor: checks the host can run unprivileged sandboxes and prints the exact fix for each problem.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTool, which } from '../host/tools.js';
import { closeFdsPrefix, INSTALLED_LAUNCHER, trustedLauncher } from '../host/close-fds.js';
import { readHostFacts } from '../host/facts.js';
import { readSubIds, subIdFixCommand } from '../idmap/subid.js';
import { idmapChecks } from './idmap-checks.js';
import { sandtrayPaths } from '../core/paths.js';
import type { Check } from '../host/check.js';

export type { Check } from '../host/check.js';

function readSysctl(p: string): string | null {
  try {
    return fs.readFileSync(p, 'utf8').trim();
  } catch {
    return null;
  }
}

/** Runs every host check. */
export async function doctor(): Promise<Check[]> {
  const facts = readHostFacts();
  const checks: Check[] = [];
  const add = (c: Omit<Check, 'ok'>): void => {
    checks.push({ ...c, ok: c.level !== 'error' });
  };

  const clone = readSysctl('/proc/sys/kernel/unprivileged_userns_clone');
  add(clone === '0'
    ? { id: 'userns.clone', level: 'error', detail: 'kernel.unprivileged_userns_clone is 0: unprivileged user namespaces are off', fix: 'sudo sysctl -w kernel.unprivileged_userns_clone=1 (and add it to /etc/sysctl.d/ to keep it)' }
    : { id: 'userns.clone', level: 'ok', detail: clone === null ? 'unprivileged user namespaces allowed (no Debian switch on this kernel)' : 'kernel.unprivileged_userns_clone is 1' });

  const maxNs = readSysctl('/proc/sys/user/max_user_namespaces');
  add(maxNs !== null && Number(maxNs) < 16
    ? { id: 'userns.max', level: 'error', detail: `user.max_user_namespaces is ${maxNs}`, fix: 'sudo sysctl -w user.max_user_namespaces=28633' }
    : { id: 'userns.max', level: 'ok', detail: `user.max_user_namespaces is ${maxNs ?? 'unknown'}` });

  const apparmor = readSysctl('/proc/sys/kernel/apparmor_restrict_unprivileged_userns');
  add(apparmor === '1'
    ? await apparmorCheck()
    : { id: 'userns.apparmor', level: 'ok', detail: apparmor === null ? 'no AppArmor user namespace restriction' : 'kernel.apparmor_restrict_unprivileged_userns is 0' });

  for (const tool of ['unshare', 'nsenter', 'bwrap', 'newuidmap', 'newgidmap', 'script', 'perl'] as const) {
    const p = which(tool);
    // perl runs the enter step of every sandbox (confine/enter.ts), from /usr/bin so it exists inside too.
    const pkg = tool === 'bwrap' ? 'bubblewrap' : tool.startsWith('new') ? 'uidmap' : tool === 'script' ? 'bsdutils' : tool === 'perl' ? 'perl-base' : 'util-linux';
    if (!p) {
      add({ id: `tool.${tool}`, level: 'error', detail: `${tool} is not installed`, fix: `sudo apt install ${pkg}` });
      continue;
    }
    let detail = `${tool}: ${p}`;
    if (tool === 'newuidmap' || tool === 'newgidmap') {
      const st = fs.statSync(p);
      // newuidmap works either setuid root or with file capabilities (Fedora); neither is ours.
      detail += (st.mode & 0o4000) ? ' (setuid root, from shadow)' : ' (not setuid: needs file capabilities cap_setuid/cap_setgid)';
    }
    if (tool === 'bwrap') {
      const v = await runTool(p, ['--version']);
      detail += ` (${String(v.stdout ?? '').trim() || 'unknown version'})`;
      if ((fs.statSync(p).mode & 0o4000) !== 0) {
        add({ id: 'tool.bwrap', level: 'warn', detail: `${detail} is setuid root; Sandtray needs and expects the unprivileged build`, fix: 'sudo chmod u-s ' + p });
        continue;
      }
    }
    if (tool === 'unshare') {
      const help = await runTool(p, ['--help']);
      if (!String(help.stdout).includes('--map-users')) {
        add({ id: 'tool.unshare', level: 'error', detail: `${detail} is older than util-linux 2.38 (no --map-users)`, fix: 'Upgrade util-linux to 2.38 or newer.' });
        continue;
      }
    }
    add({ id: `tool.${tool}`, level: 'ok', detail });
  }

  const pasta = which('pasta');
  add(pasta
    ? { id: 'tool.pasta', level: 'ok', detail: `pasta: ${pasta}` }
    : { id: 'tool.pasta', level: 'warn', detail: 'pasta is not installed: network mode "nat" and VPN sandboxes need it', fix: 'sudo apt install passt' });

  for (const [tool, pkg, what] of [
    ['openvpn', 'openvpn', 'OpenVPN sandboxes'],
    ['wg', 'wireguard-tools', 'WireGuard sandboxes'],
    ['wireguard-go', 'wireguard-go', 'WireGuard sandboxes where the kernel has no WireGuard module'],
    ['ip', 'iproute2', 'VPN sandboxes'],
  ] as const) {
    const p = which(tool);
    add(p
      ? { id: `tool.${tool}`, level: 'ok', detail: `${tool}: ${p}` }
      : { id: `tool.${tool}`, level: 'warn', detail: `${tool} is not installed: ${what} need it`, fix: `sudo apt install ${pkg}` });
  }

  try {
    fs.accessSync('/dev/net/tun', fs.constants.R_OK | fs.constants.W_OK);
    add({ id: 'dev.tun', level: 'ok', detail: '/dev/net/tun is usable' });
  } catch {
    add({ id: 'dev.tun', level: 'warn', detail: '/dev/net/tun is missing or not readable and writable: VPN sandboxes need it', fix: 'sudo modprobe tun && sudo chmod 0666 /dev/net/tun' });
  }

  for (const kind of ['uid', 'gid'] as const) {
    try {
      const r = await readSubIds(kind, { name: facts.user, uid: facts.uid });
      for (const p of r.problems) add({ id: `subid.${kind}.line`, level: 'warn', detail: `${r.source} line ${p.line} is malformed (${p.reason}) and was ignored`, fix: `Ask an administrator to fix line ${p.line} of ${r.source}.` });
      const total = r.ranges.reduce((s, x) => s + x.size, 0);
      add(total === 0
        ? { id: `subid.${kind}`, level: 'warn', detail: `no subordinate ${kind}s for ${facts.user} (${r.source}): sandboxes fall back to a single-id map: only root (your own ${kind}) is mapped inside`, fix: `sudo ${subIdFixCommand(facts.user)}` }
        : total < 65535
          ? { id: `subid.${kind}`, level: 'warn', detail: `${total} subordinate ${kind}s for ${facts.user}: fewer than the 65535 a full map needs`, fix: `sudo ${subIdFixCommand(facts.user)}` }
          : { id: `subid.${kind}`, level: 'ok', detail: `${total} subordinate ${kind}s for ${facts.user} (${r.ranges.map((x) => `${x.start}+${x.size}`).join(', ')}; from ${r.source})` });
    } catch (err) {
      add({ id: `subid.${kind}`, level: 'error', detail: (err as Error).message, fix: 'Check /etc/subuid and /etc/subgid.' });
    }
  }
  try {
    for (const c of await idmapChecks(facts, sandtrayPaths())) add(c);
  } catch (err) {
    add({ id: 'idmap.map', level: 'warn', detail: `cannot read the id leases: ${(err as Error).message}`, fix: 'See `sandtray idmap`.' });
  }

  const unshare = which('unshare');
  if (unshare) {
    // Through the same first step as every launch chain (the launcher where it is installed), and
    // with a mount namespace: on a restricting kernel an unconfined program still gets a user
    // namespace, but one where it holds no capability, so only the mount shows the difference.
    const [first, ...rest] = [...closeFdsPrefix(2), unshare, '--user', '--map-root-user', '--mount', '--', 'true'];
    const r = await runTool(first!, rest);
    add(r.exitCode === 0
      ? { id: 'userns.create', level: 'ok', detail: 'an unprivileged user namespace can be created' }
      : { id: 'userns.create', level: 'error', detail: `cannot create a user namespace: ${String(r.stderr).trim()}`, fix: 'See the userns checks above; on Ubuntu install the AppArmor profile.' });
  }
  return checks;
}

/** Where this copy of Sandtray keeps its resources/ (a checkout, or the packaged app's). */
const RESOURCES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../resources');

/** The AppArmor label of a process ("sandtray-launch (unconfined)", "unconfined"), or null. */
function apparmorLabel(pid: number | 'self' = 'self'): string | null {
  for (const f of [`/proc/${pid}/attr/apparmor/current`, `/proc/${pid}/attr/current`]) {
    try {
      const t = fs.readFileSync(f, 'utf8').replace(/\0/g, '').trim();
      if (t) return t;
    } catch {
      // not AppArmor's, or not readable
    }
  }
  return null;
}

/**
 * kernel.apparmor_restrict_unprivileged_userns is 1: only programs confined by a profile with the
 * `userns` rule create usable user namespaces. Sandtray's profile attaches to the packaged app and
 * to its launcher (resources/apparmor/sandtray); say which one this process or its chains run under.
 */
async function apparmorCheck(): Promise<Omit<Check, 'ok'>> {
  const id = 'userns.apparmor';
  const what = 'kernel.apparmor_restrict_unprivileged_userns is 1 (Ubuntu 23.10+)';
  const own = apparmorLabel();
  if (own && /^sandtray(-launch)? \(/.test(own)) return { id, level: 'ok', detail: `${what}; this process runs under AppArmor profile ${own}, which may create user namespaces` };
  const setup = `sudo sh ${path.join(RESOURCES, 'linux', 'apparmor-setup.sh')} install ${path.join(RESOURCES, 'apparmor')}`;
  if (!fs.existsSync('/etc/apparmor.d/abi/4.0')) {
    return { id, level: 'error', detail: `${what}, but this AppArmor has no 4.0 policy ABI (AppArmor 3), so no profile can grant user namespaces`, fix: 'Upgrade AppArmor to version 4, or allow unprivileged user namespaces: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0' };
  }
  if (!trustedLauncher(INSTALLED_LAUNCHER)) {
    return {
      id,
      level: 'error',
      detail: `${what}: sandboxes start only from the packaged app or through Sandtray's launcher ${INSTALLED_LAUNCHER}, which is not installed (or not owned by root)`,
      fix: `Install the .deb, or from this copy: sudo install -D -o root -g root -m 755 ${path.join(RESOURCES, 'bin', 'sandtray-launch')} ${INSTALLED_LAUNCHER} && ${setup}`,
    };
  }
  const r = await runTool(INSTALLED_LAUNCHER, ['2', '/bin/cat', '/proc/self/attr/current']);
  const label = String(r.stdout ?? '').replace(/\0/g, '').trim();
  if (/^sandtray-launch \(/.test(label)) return { id, level: 'ok', detail: `${what}; launch chains start with ${INSTALLED_LAUNCHER} under AppArmor profile ${label}` };
  return {
    id,
    level: 'error',
    detail: `${what}: ${INSTALLED_LAUNCHER} is installed but runs as "${label || 'unknown'}", not under Sandtray's AppArmor profile`,
    fix: setup,
  };
}
