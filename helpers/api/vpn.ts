// VPN files and tunnels: the engine's verdict on a file (its allowlist of OpenVPN's grammar and of
// wg-quick's), import, a tunnel's status, verification.
import type { Paths } from '../core/paths.js';
import { recogniseVpn, VPN_KINDS, type VpnReview } from '../vpn/kinds.js';
import { readVpnStatus, type VpnStatus } from '../vpn/status.js';
import { sandboxDirs } from '../runtime/store.js';

export { detectVpnType, nameFromFile, reviewVpnFile, reviewVpnText, type VpnReview } from '../vpn/import.js';
export { importVpn, type ImportResult } from '../lifecycle/vpn-import.js';
export { refusedLines, verdictForStore, verdictLines, type VerdictItem, type VpnNeeds, type VpnVerdict } from '../vpn/verdict.js';
export { vpnView, type VpnView } from '../vpn/view.js';
export { verifyText, verifyVpn, type VerifyReport } from '../vpn/verify.js';
export { VPN_STATES, type VpnState, type VpnStatus } from '../vpn/status.js';
export { recogniseVpn, vpnKind, VPN_KINDS, vpnTypes, type VpnKind, type VpnType } from '../vpn/kinds.js';

/** The status the VPN agent of a running sandbox reports; null when it reports none. */
export function vpnStatus(name: string, paths?: Paths): VpnStatus | null {
  return readVpnStatus(sandboxDirs(name, paths));
}

/**
 * The engine's reading of a file the user opened that may be a VPN configuration, as `vpn import`
 * would read it: `dir` is the file's folder (the only place files it names are read from). A .conf
 * is WireGuard when it has wg-quick sections, OpenVPN when it names a server; otherwise (nginx.conf,
 * fonts.conf) null. An .ovpn file is always read as OpenVPN.
 */
export function inspectVpnText(text: string, opts: { dir: string | null; ovpn?: boolean }): VpnReview | null {
  const kind = opts.ovpn ? VPN_KINDS.openvpn : recogniseVpn(text, opts.dir);
  return kind ? kind.review(text, { dir: opts.dir }) : null;
}
