// Reading a VPN file before anything is written: its type, the engine's verdict on every option
// (verdict.ts) and a summary, which `vpn import` prints and the desktop's file sheet shows. The
// import itself, which creates a sandbox, is lifecycle/vpn-import.ts.
import path from 'node:path';
import { readVpnFile } from './load.js';
import { vpnKind, type VpnReview } from './kinds.js';
import type { VpnType } from '../profile/schema.js';

export type { VpnReview } from './kinds.js';

/** OpenVPN or WireGuard, from the text (a [Interface] section means wg-quick). */
export function detectVpnType(text: string): VpnType {
  return /^\s*\[Interface\]\s*$/im.test(text) ? 'wireguard' : 'openvpn';
}

/** A sandbox name from a file name, e.g. "Work VPN.ovpn" -> "work-vpn". */
export function nameFromFile(file: string): string {
  return path.basename(file).replace(/\.[^.]*$/, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'vpn';
}

/**
 * Reviews VPN text: the verdict on every option and a summary. `dir` is the file's folder, where
 * the files it names are read from (and only there); null reads none. The type is detected from
 * the text unless given.
 */
export function reviewVpnText(text: string, opts: { file?: string; dir?: string | null; type?: VpnType } = {}): VpnReview {
  return vpnKind(opts.type ?? detectVpnType(text)).review(text, { ...(opts.file === undefined ? {} : { file: opts.file }), dir: opts.dir ?? null });
}

/** Reviews a VPN file on disk (see reviewVpnText). */
export function reviewVpnFile(file: string): VpnReview {
  const abs = path.resolve(file);
  return reviewVpnText(readVpnFile(abs), { file: abs, dir: path.dirname(abs) });
}
