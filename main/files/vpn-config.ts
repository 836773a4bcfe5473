// What the file sheet shows of an OpenVPN (.ovpn, .conf) or WireGuard (.conf) file: the engine's
// own verdict (helpers/vpn/import.ts, the one `sandtray vpn import` prints), never a reading of
// the app's own. Keys and passwords are never copied into the summary or the verdict.
import { reviewVpnText, type VpnReview } from '../../helpers/vpn/import.js';
import type { VpnVerdict } from '../../helpers/vpn/verdict.js';
import type { ProfileIssue, VpnFileSummary } from '../ipc/contract.js';

export interface VpnFileInspection {
  kind: 'openvpn' | 'wireguard';
  summary: VpnFileSummary;
  /** The verdict's refusals, as the sheet lists problems. */
  issues: ProfileIssue[];
  verdict: VpnVerdict;
}

function inspection(r: VpnReview): VpnFileInspection {
  return {
    kind: r.type,
    summary: {
      remotes: r.remotes.map((x) => ({ host: x.host, port: x.port === null ? null : String(x.port), proto: x.proto })),
      needsCredentials: r.verdict.needs.username || r.verdict.needs.password,
      hasInlineKeys: r.hasInlineKeys,
      addresses: r.addresses,
      dns: r.dns,
      allowedIps: r.allowedIps,
    },
    issues: r.verdict.refused.map((i) => ({ path: i.option, message: i.reason, line: i.line })),
    verdict: r.verdict,
  };
}

/**
 * An OpenVPN configuration as the engine reads it. `dir` is the file's folder, the only place
 * files it names are read from; without one, a named file is a problem.
 */
export function inspectOpenVpn(text: string, dir: string | null = null): VpnFileInspection {
  return inspection(reviewVpnText(text, { dir, type: 'openvpn' }));
}

/** A WireGuard (wg-quick) configuration as the engine reads it; null when the text is not one. */
export function inspectWireGuard(text: string): VpnFileInspection | null {
  if (!/^\s*\[(Interface|Peer)\]\s*$/im.test(text)) return null;
  return inspection(reviewVpnText(text, { type: 'wireguard' }));
}

/**
 * A file the app opened as OpenVPN (.ovpn) or WireGuard (.conf): by its content, as the importer
 * decides (Linux OpenVPN files are often .conf). Null: a .conf that is neither.
 */
export function inspectVpnText(byExtension: 'openvpn' | 'wireguard', text: string, dir: string): VpnFileInspection | null {
  if (byExtension === 'openvpn') return inspectOpenVpn(text, dir);
  const w = inspectWireGuard(text);
  if (w) return w;
  const o = inspectOpenVpn(text, dir);
  return o.verdict.kept.some((k) => k.option === 'client' || k.option === 'remote' || k.option === 'tls-client') ? o : null;
}
