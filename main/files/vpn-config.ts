// Reads OpenVPN (.ovpn) and WireGuard (.conf) files far enough to show what they connect to. Keys
// and passwords are never copied into the summary.
import type { ProfileIssue, VpnFileSummary } from '../ipc/contract.js';

export interface VpnFileInspection {
  kind: 'openvpn' | 'wireguard';
  summary: VpnFileSummary;
  issues: ProfileIssue[];
}

const INLINE_KEY_BLOCKS = new Set(['ca', 'cert', 'key', 'tls-auth', 'tls-crypt', 'tls-crypt-v2', 'secret', 'pkcs12']);

/** Summary of an OpenVPN client configuration. */
export function inspectOpenVpn(text: string): VpnFileInspection {
  const summary: VpnFileSummary = { remotes: [], needsCredentials: false, hasInlineKeys: false, addresses: [], dns: [], allowedIps: [] };
  const issues: ProfileIssue[] = [];
  let defaultPort: string | null = null;
  let defaultProto: string | null = null;
  let block: string | null = null;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (block) {
      if (line === `</${block}>`) block = null;
      return;
    }
    const open = /^<([a-z0-9-]+)>$/.exec(line);
    if (open) {
      block = open[1]!;
      if (INLINE_KEY_BLOCKS.has(block)) summary.hasInlineKeys = true;
      return;
    }
    if (!line || line.startsWith('#') || line.startsWith(';')) return;
    const [key, ...args] = line.split(/\s+/);
    switch (key) {
      case 'remote':
        if (!args[0]) issues.push({ path: 'remote', message: 'a remote line needs a host', line: i + 1 });
        else summary.remotes.push({ host: args[0], port: args[1] ?? null, proto: args[2] ?? null });
        break;
      case 'port':
        defaultPort = args[0] ?? null;
        break;
      case 'proto':
        defaultProto = args[0] ?? null;
        break;
      case 'auth-user-pass':
        summary.needsCredentials = true;
        break;
      case 'dhcp-option':
        if (args[0] === 'DNS' && args[1]) summary.dns.push(args[1]);
        break;
      default:
        break;
    }
  });
  if (block) issues.push({ path: `<${block}>`, message: `the <${block}> block is not closed`, line: lines.length });
  for (const r of summary.remotes) {
    r.port ??= defaultPort ?? '1194';
    r.proto ??= defaultProto ?? 'udp';
  }
  if (!summary.remotes.length) issues.push({ path: 'remote', message: 'no "remote" line: the configuration does not say which server to connect to', line: null });
  return { kind: 'openvpn', summary, issues };
}

/** Summary of a WireGuard (wg-quick style) configuration; null when the text is not one. */
export function inspectWireGuard(text: string): VpnFileInspection | null {
  const summary: VpnFileSummary = { remotes: [], needsCredentials: false, hasInlineKeys: false, addresses: [], dns: [], allowedIps: [] };
  const issues: ProfileIssue[] = [];
  let section: string | null = null;
  let sawInterface = false;
  let peers = 0;
  let privateKey = false;
  const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const sec = /^\[(\w+)\]$/.exec(line);
    if (sec) {
      section = sec[1]!.toLowerCase();
      if (section === 'interface') sawInterface = true;
      else if (section === 'peer') peers++;
      else issues.push({ path: `[${sec[1]}]`, message: 'unknown section', line: i + 1 });
      return;
    }
    const kv = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(line);
    if (!kv) {
      issues.push({ path: section ? `[${section}]` : '(top level)', message: `cannot read "${line.slice(0, 40)}"`, line: i + 1 });
      return;
    }
    const key = kv[1]!.toLowerCase();
    const value = kv[2]!;
    if (section === 'interface') {
      if (key === 'privatekey') {
        privateKey = true;
        summary.hasInlineKeys = true;
      } else if (key === 'address') summary.addresses.push(...list(value));
      else if (key === 'dns') summary.dns.push(...list(value));
    } else if (section === 'peer') {
      if (key === 'endpoint') {
        const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(value);
        summary.remotes.push({ host: m ? m[1]! : value, port: m ? m[2]! : null, proto: 'udp' });
      } else if (key === 'allowedips') summary.allowedIps.push(...list(value));
    }
  });
  if (!sawInterface && !peers) return null;
  if (!privateKey) issues.push({ path: '[Interface].PrivateKey', message: 'missing: the interface needs a private key', line: null });
  if (!peers) issues.push({ path: '[Peer]', message: 'missing: at least one peer is needed', line: null });
  else if (!summary.remotes.length) issues.push({ path: '[Peer].Endpoint', message: 'no peer has an Endpoint, so there is nothing to connect to', line: null });
  return { kind: 'wireguard', summary, issues };
}
