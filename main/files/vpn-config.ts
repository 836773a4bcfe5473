// What the file sheet shows of an OpenVPN (.ovpn, .conf) or WireGuard (.conf) file: the engine's
// own reading and verdict (helpers/api inspectVpnText, the one `sandtray vpn import` prints), never
// a reading of the app's own. Keys and passwords are never copied into the summary or the verdict.
import { inspectVpnText as engineInspect, type VpnReview, type VpnType, type VpnVerdict } from '../../helpers/api/index.js';
import type { ProfileIssue, VpnFileSummary } from '../ipc/contract.js';

export interface VpnFileInspection {
  kind: VpnType;
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
  return inspection(engineInspect(text, { dir, ovpn: true })!);
}

/** A WireGuard (wg-quick) configuration as the engine reads it; null when the text is not one. */
export function inspectWireGuard(text: string): VpnFileInspection | null {
  const r = engineInspect(text, { dir: null });
  return r?.type === 'wireguard' ? inspection(r) : null;
}

/**
 * A file the app opened as OpenVPN (.ovpn) or WireGuard (.conf): by its content, as the importer
 * decides (Linux OpenVPN files are often .conf). Null: a .conf that is neither.
 */
export function inspectVpnText(byExtension: VpnType, text: string, dir: string): VpnFileInspection | null {
  const r = engineInspect(text, { dir, ovpn: byExtension === 'openvpn' });
  return r ? inspection(r) : null;
}
