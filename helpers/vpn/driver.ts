// Network mode "vpn": the sandbox's namespace holds only lo and the tunnel; the client and its
// socket live in an uplink namespace beside it (see BRIEF: VPN topology). A kill switch by
// construction: with the tunnel down there is no route at all.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlive } from '../host/proc.js';
import { resolveSecrets, type SecretNeed } from '../secrets/resolve.js';
import { configureDevice, moveDevice } from './apply.js';
import { agentArgv, agentInput, gettimeofdayNumber, optionsErrorOf, optionsFailure, type AgentSpec } from './agent.js';
import type { BringUpSpec } from './bring-up.js';
import { nsenterArgv } from '../network/nsenter.js';
import { requireTool } from '../host/tools.js';
import { loadVpn, type LoadedVpn } from './load.js';
import { vpnKind } from './kinds.js';
import { makeOutputPipe, prepareJail, startJailed, stopJailed, type JailSpec } from './jail.js';
import { stoppedBeforeReachable } from './management.js';
import { MGMT_SOCKET, OPENVPN_DEV, openvpnArgv, RUN_CONFIG, writeOpenvpnConfig } from './openvpn.js';
import { tunnelResolvConf, wireguardTunnel } from './tunnel.js';
import { createKernelWg, peerKeepalives, WG_DEV, wgError, wgSetconf, wgSetconfText, wireguardGoArgv } from './wireguard.js';
import { clearStartFailure, readVpnStatus, recordStartFailure, vpnStatusFile } from './status.js';
import { SandtrayError } from '../core/errors.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HelperProc, NetworkDriver, NetworkSetup } from '../network/driver.js';
import { spawnHelper, stopHelper, waitFor } from '../network/helper-proc.js';
import { PASTA_LINK } from '../network/pasta.js';
import { startUplink, stopUplink, uplinkResolvFile } from '../network/uplink.js';
import { startRelay } from '../network/relay.js';
import { uplinkNeeds } from './uplink-needs.js';
import { portProblems } from '../network/ports.js';
import { portText } from '../network/pasta.js';

// '../vpn/': this file runs from dist/helpers/vpn/, and inside the CLI bundle from dist/helpers/bundle/.
const BRING_UP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../vpn/bring-up-main.js');

/** Secrets a configuration needs at start (each VPN kind says which). */
export function secretNeeds(v: LoadedVpn): SecretNeed[] {
  return vpnKind(v.type).secretNeeds(v);
}

/** The step the agent runs when OpenVPN has connected: a short-lived Node process (bring-up.ts). */
function bringUpCommand(spec: BringUpSpec): NonNullable<AgentSpec['openvpn']>['bringUp'] {
  // Inside Electron, process.execPath is the app: this makes it behave as plain Node.
  const env: Record<string, string> = process.versions['electron'] ? { ELECTRON_RUN_AS_NODE: '1' } : {};
  return { argv: [process.execPath, BRING_UP], env, spec: JSON.stringify(spec) };
}

/** Starts the agent (Perl, agent.ts) with its instructions and secrets on stdin. */
async function startAgent(spec: AgentSpec, logFile: string): Promise<HelperProc> {
  return spawnHelper(agentArgv(requireTool('perl')), { what: 'vpn agent', logFile, input: agentInput(spec) });
}

async function setupOpenvpn(ctx: NetworkSetup, v: Extract<LoadedVpn, { type: 'openvpn' }>, secrets: Record<string, string>, uplink: HelperProc, started: HelperProc[]): Promise<void> {
  const inline = v.config.blocks.find((b) => b.tag === 'auth-user-pass');
  if (inline) {
    const [u, p] = inline.body.split('\n');
    if (u) secrets['username'] = u;
    if (p) secrets['password'] = p;
  }
  const jail = prepareJail(ctx.dirs);
  const confFile = path.join(jail.shared, RUN_CONFIG);
  for (const note of writeOpenvpnConfig(v.config, confFile, PASTA_LINK.gateway)) ctx.log(`vpn: ${note}`);
  const socket = path.join(jail.shared, MGMT_SOCKET);
  // What the client runs has every file inline (the parser reads named files from the
  // configuration's own folder): the jail has no folder of the configuration, nor any other host
  // file a missed option could name.
  await startClient(ctx, jail, started, {
    what: 'openvpn', uplinkPid: uplink.pid, resolvConf: uplinkResolvFile(ctx.dirs),
    readOnly: [], folders: [], chdir: '/',
    argv: openvpnArgv(confFile, '/', socket),
  }, async (client) => {
    const bringUp: BringUpSpec = {
      name: ctx.name, initPid: ctx.init.pid, uplinkPid: uplink.pid, dev: OPENVPN_DEV,
      resolvFile: path.join(ctx.dirs.etc, 'resolv.conf'), directives: v.config.directives,
    };
    const spec: AgentSpec = {
      name: ctx.name, type: 'openvpn', init: ctx.init, client, helpers: [...started],
      runtimeDir: ctx.dirs.runtime, logFile: ctx.dirs.log, dev: OPENVPN_DEV, gateway: PASTA_LINK.gateway,
      output: jail.output, gettimeofday: gettimeofdayNumber(),
      openvpn: { socket, secrets, bringUp: bringUpCommand(bringUp) },
    };
    await runAgent(ctx, spec, started);
    await clientReachable(ctx, socket, client);
  });
}

/**
 * Starts a VPN client in its jail, then (through `next`) the agent that relays its output to the
 * log. The output pipe is held open here until the agent has opened it.
 */
async function startClient(ctx: NetworkSetup, jail: ReturnType<typeof prepareJail>, started: HelperProc[], spec: JailSpec, next: (client: HelperProc) => Promise<void>): Promise<void> {
  const pipe = await makeOutputPipe(jail.output);
  try {
    let j: Awaited<ReturnType<typeof startJailed>>;
    try {
      j = await startJailed(spec, jail);
    } catch (err) {
      // A client that stops at once (OpenVPN refusing an option) may be gone before its jail is
      // seen running: what it printed is still in the pipe, and says why better than we can.
      const said = drainPipe(pipe.keep);
      const refused = said.map(optionsErrorOf).find((l) => l !== null);
      if (refused) {
        recordStartFailure(ctx.dirs, optionsFailure(refused));
        throw new SandtrayError('START_FAILED', optionsFailure(refused), 'Change or remove that option in the configuration (`sandtray vpn import` again), see `sandtray log NAME`.', err);
      }
      const last = said.filter((l) => l.trim()).slice(-3);
      if (last.length && err instanceof SandtrayError) throw new SandtrayError(err.code, `${err.message}; ${spec.what} said: ${last.join(' | ')}`, err.hint, err);
      throw err;
    }
    started.push(j.client);
    ctx.onHelper?.(j.client);
    ctx.revert.add(`stop ${spec.what}`, () => stopJailed(j));
    await next(j.client);
  } finally {
    fs.closeSync(pipe.keep);
  }
}

/** What is waiting in the client's output pipe (read without blocking), as lines. */
function drainPipe(fd: number): string[] {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(65536);
  for (let i = 0; i < 64; i++) {
    let n = 0;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, null);
    } catch {
      break;
    }
    if (n <= 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8').split('\n');
}

async function runAgent(ctx: NetworkSetup, spec: AgentSpec, started: HelperProc[]): Promise<void> {
  const agent = await startAgent(spec, ctx.dirs.log);
  started.push(agent);
  ctx.onHelper?.(agent);
  ctx.revert.add('stop vpn agent', () => stopHelper(agent));
  // The agent writes the status file once it has read its spec and opened the client's output:
  // from then on `vpn status` knows.
  await waitFor(() => fs.existsSync(vpnStatusFile(ctx.dirs)), 10_000, 'The VPN agent did not start', agent);
}

/**
 * Waits until the OpenVPN client has opened its management socket, which it does once it has
 * accepted its options. A client that stopped before the agent could reach it (OpenVPN refusing
 * an option) fails the start, with the agent's reason: OpenVPN's own `Options error:` line when
 * it printed one. A client that got further and then stopped (a refused password, say) leaves
 * the sandbox running with its tunnel failed, as the agent reports it.
 */
async function clientReachable(ctx: NetworkSetup, socket: string, client: HelperProc): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!fs.existsSync(socket) && isAlive(client) && Date.now() < deadline) await sleep(20);
  if (fs.existsSync(socket) || isAlive(client)) return;
  // The client is gone: the agent says why once it has read its last output (bounded there too).
  let st = readVpnStatus(ctx.dirs);
  for (let i = 0; i < 500 && st?.state !== 'failed'; i++) {
    await sleep(20);
    st = readVpnStatus(ctx.dirs);
  }
  if (st?.state === 'failed' && stoppedBeforeReachable(st.message)) {
    recordStartFailure(ctx.dirs, st.message!);
    throw new SandtrayError('VPN', st.message!, `See \`sandtray log ${ctx.name}\` for the client's messages.`);
  }
}

async function setupWireguard(ctx: NetworkSetup, v: Extract<LoadedVpn, { type: 'wireguard' }>, secrets: Record<string, string>, uplink: HelperProc, started: HelperProc[]): Promise<void> {
  const settings = wireguardTunnel(v.config, WG_DEV);
  const psks = v.config.peers.map((p, i) => (p.presharedKey === 'keyring' ? secrets[i === 0 ? 'preshared-key' : `preshared-key-${i + 1}`] ?? null : p.presharedKey));
  const privateKey = v.config.privateKey ?? secrets['private-key'];
  if (!privateKey) throw wgError('No WireGuard private key');
  const ep = v.config.peers[0]?.endpoint;
  for (const x of settings.skipped) ctx.log(`vpn: not applied: ${x}`);
  for (const note of peerKeepalives(v.config).notes) ctx.log(`vpn: ${note}`);
  const configure = async (client: HelperProc, wgPid: number, wgNamespaces: ('net' | 'mount')[], output: string | null): Promise<void> => {
    try {
      await wgSetconf(wgPid, wgNamespaces, wgSetconfText(v.config, privateKey, psks, PASTA_LINK.gateway));
      await configureDevice(ctx.init.pid, settings);
    } catch (err) {
      throw wgError(`Setting up the WireGuard tunnel failed: ${(err as Error).message}`, err);
    }
    const wg = [...nsenterArgv(wgPid, wgNamespaces), 'wg', 'show', WG_DEV];
    const spec: AgentSpec = {
      name: ctx.name, type: 'wireguard', init: ctx.init, client, helpers: [...started],
      runtimeDir: ctx.dirs.runtime, logFile: ctx.dirs.log, dev: WG_DEV, gateway: PASTA_LINK.gateway,
      ...(output ? { output } : {}), gettimeofday: gettimeofdayNumber(),
      wireguard: {
        status: {
          addresses: JSON.stringify(settings.addresses.map((a) => a.address)), routes: JSON.stringify(settings.routes),
          dns: JSON.stringify(settings.dns), domains: JSON.stringify(settings.domains), mtu: JSON.stringify(settings.mtu),
          endpoint: JSON.stringify(ep ? `${ep.host.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port}` : null),
        },
        handshakes: [...wg, 'latest-handshakes'],
        transfer: [...wg, 'transfer'],
      },
    };
    await runAgent(ctx, spec, started);
  };
  if (await createKernelWg(uplink.pid)) {
    // The kernel device has no process; the uplink holder stands for it in the state.
    await moveDevice(uplink.pid, ctx.init.pid, WG_DEV);
    ctx.log('vpn: WireGuard in the kernel');
    await configure({ ...uplink, what: 'uplink' }, ctx.init.pid, ['net'], null);
    return;
  }
  const jail = prepareJail(ctx.dirs);
  await startClient(ctx, jail, started, {
    what: 'wireguard-go', uplinkPid: uplink.pid, resolvConf: uplinkResolvFile(ctx.dirs),
    readOnly: [], folders: [], chdir: '/',
    env: { WG_PROCESS_FOREGROUND: '1', LOG_LEVEL: 'error' },
    argv: wireguardGoArgv(),
  }, async (client) => {
    const sock = `/proc/${client.pid}/root/var/run/wireguard/${WG_DEV}.sock`;
    await waitFor(() => fs.existsSync(sock), 10_000, 'wireguard-go did not create its interface', client);
    // wireguard-go notices the device going up in another namespace by polling its fd (its
    // "hack listener"), so it follows the move.
    await moveDevice(uplink.pid, ctx.init.pid, WG_DEV);
    ctx.log('vpn: WireGuard in userspace (wireguard-go)');
    // `wg` finds the control socket in the jail's mount namespace.
    await configure(client, client.pid, ['net', 'mount'], jail.output);
  });
}

export const vpnDriver: NetworkDriver = {
  mode: 'vpn',
  ownNamespace: true,
  isolated: true,
  validate: (p) => {
    if (!p.network.vpn) return ['network.vpn: required with network.mode vpn ({type: openvpn|wireguard, config: FILE})'];
    const udp = p.network.ports.filter((f) => f.proto === 'udp');
    if (udp.length) return [`network.ports: UDP is not forwarded into VPN sandboxes yet (host port ${udp[0]!.host}/udp); TCP is`];
    if (p.network.ports.length && portProblems(p).length) return portProblems(p);
    try {
      loadVpn(p);
      return [];
    } catch (err) {
      return [`network.vpn.config: ${(err as Error).message}`];
    }
  },
  resolvConf: (p) => {
    try {
      const v = loadVpn(p);
      if (v.type === 'wireguard') return tunnelResolvConf({ dns: v.config.dns, domains: v.config.searchDomains }, p.hostname);
    } catch {
      // validate reports it
    }
    return '# Generated by Sandtray: the VPN is not connected yet; its DNS servers are written here when it is.\n';
  },
  describe: (p) => {
    let v: LoadedVpn;
    try {
      v = loadVpn(p);
    } catch (err) {
      return [`cannot read the VPN configuration: ${(err as Error).message}`];
    }
    const all = secretNeeds(v);
    const needs = all.filter((n) => !n.oneTime).map((n) => n.key);
    const oneTime = all.filter((n) => n.oneTime).map((n) => `a one-time code asked at every start ("${n.label}"), never stored`);
    return [
      "uplink: a network and mount namespace in the sandbox's user namespace (nsenter --user, unshare --net --mount)",
      `pasta links the uplink to the host: ${PASTA_LINK.address}/${PASTA_LINK.prefix}, gateway ${PASTA_LINK.gateway} = the host's loopback`,
      v.type === 'openvpn'
        ? `openvpn ${v.file} in the uplink: ${v.config.remotes.length} server(s), no ifconfig or routes of its own, management socket in the runtime directory`
        : `WireGuard interface created in the uplink (kernel module, else wireguard-go), keys loaded with wg setconf through a pipe; ${v.config.peers.length} peer(s)`,
      "the client runs jailed (bwrap): /usr and a few /etc files, /dev/net/tun, private /tmp /run /var, its runtime folder; no home; own pid namespace; CAP_NET_ADMIN only; the sandbox's seccomp filter; its output reaches the log through the agent",
      `the tunnel device moves into the sandbox's network namespace (lo + tunnel only); addresses, routes, MTU and resolv.conf set from the ${v.type === 'openvpn' ? 'pushed options' : 'configuration'}`,
      ...p.network.ports.map((f) => `forwarded by a relay that listens on the host and connects to the sandbox's 127.0.0.1 (no interface or route added): host ${portText(f)} inside`),
      needs.length ? `secrets from the keyring (or asked for): ${needs.join(', ')}` : oneTime.length ? 'nothing from the keyring' : 'no secrets needed',
      ...oneTime,
    ];
  },
  secrets: (name, profile) => resolveSecrets(name, secretNeeds(loadVpn(profile))),
  setup: async (ctx) => {
    // A new start: the last one's failure is history.
    clearStartFailure(ctx.dirs);
    const v = loadVpn(ctx.profile);
    // Copied: setup adds the inline user name and password to what it was given.
    const secrets = { ...(ctx.secrets ?? (await resolveSecrets(ctx.name, secretNeeds(v)))) };
    const started: HelperProc[] = [];
    const needs = uplinkNeeds(v);
    const uplink = await startUplink(ctx.init, ctx.dirs, needs, (h) => {
      started.push(h);
      ctx.onHelper?.(h);
      ctx.revert.add(`stop ${h.what}`, () => stopHelper(h));
    });
    ctx.log(`vpn: uplink namespace (host pid ${uplink.holder.pid}) linked by pasta (host pid ${uplink.pasta.pid}; ${needs.tcp ? 'UDP and TCP' : 'UDP only'}, ${needs.ipv4Only ? 'IPv4 only' : 'IPv4 and IPv6'}, no ICMP)`);
    if (v.type === 'openvpn') await setupOpenvpn(ctx, v, secrets, uplink.holder, started);
    else await setupWireguard(ctx, v, secrets, uplink.holder, started);
    if (ctx.profile.network.ports.length) {
      const relay = await startRelay(ctx.init, ctx.profile.network.ports, ctx.dirs.log, (h) => {
        started.push(h);
        ctx.onHelper?.(h);
        ctx.revert.add(`stop ${h.what}`, () => stopHelper(h));
      });
      ctx.log(`vpn: port relay (host pid ${relay.pid}) forwards ${ctx.profile.network.ports.map(portText).join(', ')}; nothing is added to the sandbox's network`);
    }
    return started;
  },
  teardown: async (helpers) => {
    // The agent first, so a client going away is not reported as a failure; the uplink last.
    for (const what of ['vpn agent', 'openvpn', 'wireguard-go']) {
      for (const h of helpers.filter((x) => x.what === what)) await stopHelper(h);
    }
    await stopUplink(helpers);
    for (const h of helpers) if (isAlive(h)) await stopHelper(h);
  },
};
