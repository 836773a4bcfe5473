// Probes run inside a sandbox with `sandtray exec` (the host's node is there, read-only under /usr).
import type { Env } from './sandtray.js';

/** Fetches http://HOST:8080/ from inside; the body, or the error text. */
export async function httpInside(e: Env, name: string, host: string, timeoutMs = 5000): Promise<string> {
  const js = `fetch('http://${host}:8080/',{signal:AbortSignal.timeout(${timeoutMs})}).then(r=>r.text()).then(t=>process.stdout.write(t),e=>{process.stdout.write('ERR '+(e.cause?.code||e.name||e.message));})`;
  const r = await e.run(['exec', name, '--', 'node', '-e', js]);
  return (r.stdout + r.stderr).trim();
}

/** Resolves a name inside through the sandbox's resolv.conf (getent: nsswitch files, then dns). */
export async function resolveInside(e: Env, name: string, host: string): Promise<string> {
  const r = await e.run(['exec', name, '--', 'getent', 'hosts', host]);
  return r.stdout.trim().split(/\s+/)[0] ?? '';
}

/**
 * Sends probes from inside to addresses outside the VPN: a TCP connect, a UDP datagram and a DNS
 * query on UDP 53, each to every target. Returns what each attempt reported.
 */
export async function leakProbes(e: Env, name: string, targets: { host: string; port: number }[]): Promise<string> {
  const js = `
const net=require('net'),dgram=require('dgram');const out=[];
const q=Buffer.from('abcd0100000100000000000004746573740000010001','hex');
const jobs=${JSON.stringify(targets)}.flatMap(t=>[
 new Promise(r=>{const s=net.connect({host:t.host,port:t.port,timeout:800});s.on('connect',()=>{out.push('tcp '+t.host+' connected');s.destroy();r()});s.on('error',e=>{out.push('tcp '+t.host+' '+e.code);r()});s.on('timeout',()=>{out.push('tcp '+t.host+' timeout');s.destroy();r()})}),
 new Promise(r=>{const u=dgram.createSocket(t.host.includes(':')?'udp6':'udp4');u.send(Buffer.from('sandtray-leak-probe'),t.port+1,t.host,e=>{out.push('udp '+t.host+' '+(e?e.code:'sent'));u.close();r()})}),
 new Promise(r=>{const u=dgram.createSocket(t.host.includes(':')?'udp6':'udp4');u.send(q,53,t.host,e=>{out.push('dns '+t.host+' '+(e?e.code:'sent'));setTimeout(()=>{u.close();r()},300)})}),
]);
Promise.all(jobs).then(()=>console.log(out.join('\\n')));`;
  const r = await e.run(['exec', name, '--', 'node', '-e', js]);
  return (r.stdout + r.stderr).trim();
}
