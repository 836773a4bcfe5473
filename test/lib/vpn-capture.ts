// Packet capture on the uplink side of a VPN sandbox (tcpdump inside the uplink namespace), with a
// positive control sent from the uplink itself so an empty capture cannot pass by accident.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import type { Env } from './sandtray.js';
import { until } from './vpn-lab.js';

export interface Helper {
  pid: number;
  start: number;
  what: string;
}

/** The helpers recorded in a running sandbox's runtime state (uplink, pasta, client, agent). */
export function helpersOf(e: Env, name: string): Helper[] {
  const st = JSON.parse(fs.readFileSync(path.join(e.env['XDG_RUNTIME_DIR']!, 'sandtray', name, 'state.json'), 'utf8')) as { helpers: Helper[] };
  return st.helpers;
}

/** True while the recorded process runs (same pid and start time, not a zombie). */
export function running(h: Helper): boolean {
  try {
    const f = fs.readFileSync(`/proc/${h.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return f[0] !== 'Z' && f[0] !== 'X' && f[19] === String(h.start);
  } catch {
    return false;
  }
}

export function helper(e: Env, name: string, what: string): Helper {
  const h = helpersOf(e, name).find((x) => x.what === what);
  if (!h) throw new Error(`no ${what} helper in ${name}: ${JSON.stringify(helpersOf(e, name))}`);
  return h;
}

export interface Capture {
  /** Stops tcpdump and returns its lines. */
  stop(): Promise<string[]>;
}

/** Starts tcpdump on the uplink's link to pasta; resolves once it is listening. */
export async function captureUplink(uplinkPid: number): Promise<Capture> {
  const p: ResultPromise = execa('nsenter', [`--target=${uplinkPid}`, '--user', '--net', '--', 'tcpdump', '-i', 'eth0', '-n', '-l', '-U', '-p', '-Z', 'root'], { reject: false, buffer: false, stdin: 'ignore' });
  let out = '';
  let err = '';
  p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await until(() => /listening on/.test(err) || p.exitCode !== null, 10_000, `tcpdump to listen: ${err}`);
  if (!/listening on/.test(err)) throw new Error(`tcpdump failed: ${err}`);
  return {
    async stop() {
      await sleep(300);
      p.kill('SIGINT');
      await p;
      return out.split('\n').filter(Boolean);
    },
  };
}

/** Sends one UDP datagram from the uplink namespace itself (the capture's positive control). */
export async function controlPacket(uplinkPid: number, host: string, port: number): Promise<void> {
  const js = `const u=require('dgram').createSocket('udp4');u.send(Buffer.from('control'),${port},'${host}',()=>u.close())`;
  await execa('nsenter', [`--target=${uplinkPid}`, '--user', '--net', '--', process.execPath, '-e', js]);
}

/**
 * Packets that are neither the VPN's own (to or from the endpoint) nor the control, nor the
 * link's neighbour discovery. Each one is a leak.
 */
export function leaks(lines: readonly string[], endpoint: { host: string; port: number }, controlPort: number): string[] {
  const bad: string[] = [];
  for (const l of lines) {
    if (/ ARP, /.test(l)) continue;
    if (/ IP6 /.test(l)) {
      if (/ICMP6/.test(l)) continue;
      bad.push(l);
      continue;
    }
    const m = / IP (\d+\.\d+\.\d+\.\d+)(?:\.(\d+))? > (\d+\.\d+\.\d+\.\d+)(?:\.(\d+))?:/.exec(l);
    if (!m) {
      bad.push(l);
      continue;
    }
    const [, src, sport, dst, dport] = m;
    const toEndpoint = dst === endpoint.host && Number(dport) === endpoint.port;
    const fromEndpoint = src === endpoint.host && Number(sport) === endpoint.port;
    const control = dst === endpoint.host && Number(dport) === controlPort;
    // ICMP errors the host side sends back about the VPN's own packets (e.g. port unreachable).
    const icmpAboutEndpoint = / ICMP /.test(l) && l.includes(`${endpoint.host} udp port ${endpoint.port}`);
    if (!(toEndpoint || fromEndpoint || control || icmpAboutEndpoint)) bad.push(l);
  }
  return bad;
}
