// OpenVPN's configuration grammar as Sandtray reads it: how a line splits into words (as OpenVPN's
// own reader does), and every option OpenVPN 2.6 knows, each with its number of parameters, whether
// a <connection> block or an inline block may hold it, and what Sandtray does with it. An option
// missing here is refused: the list is an allowlist, not a denylist.

/**
 * - keep: passed to the client as written;
 * - file: names a file, which is read from the configuration's own folder into an inline block;
 * - engine: Sandtray sets it itself (dropped, with the reason);
 * - drop: has no effect in a sandbox or on Linux (dropped, with the reason);
 * - refuse: the file is refused, with the line and the reason;
 * - special: the reader decides by its parameters (see openvpn-config.ts).
 */
export type OptionClass = 'keep' | 'file' | 'engine' | 'drop' | 'refuse' | 'special';

export interface OptionSpec {
  class: OptionClass;
  /** Parameters after the option's name: fewest and most. */
  min: number;
  max: number;
  /** OpenVPN accepts it inside a <connection> block. */
  connection?: boolean;
  /** OpenVPN accepts it as an inline block, <name>...</name>. */
  inline?: boolean;
  reason?: string;
}

const ANY = 64;

/** The reason for every option whose value Sandtray sets itself: one reason, so the notes group. */
export const ENGINE_REASON = 'Sandtray sets this itself';

const R = {
  engine: ENGINE_REASON,
  script: 'runs a program on your computer',
  serverScript: 'runs a program on your computer (a server hook)',
  server: 'a server option; Sandtray runs OpenVPN clients (OpenVPN stops on it in a client)',
  pushed: 'only a server sends this; it has no place in a configuration',
  windows: 'Windows only; it has no effect on Linux',
  mode: 'runs OpenVPN in another mode, not as a tunnel client',
  pkcs11: 'smart cards and tokens (PKCS#11) are not supported: it loads a library from your computer into the client',
  log: 'the client log is the sandbox log (`sandtray log NAME`)',
  management: 'Sandtray runs the management interface itself',
  scriptsOnly: 'only matters to scripts and plugins, which Sandtray never runs',
  unprivileged: 'the client already runs unprivileged, inside the sandbox',
  device: 'Sandtray creates the tunnel device and sets its addresses and routes inside the sandbox itself',
} as const;

const keep = (min: number, max: number, extra: Partial<OptionSpec> = {}): OptionSpec => ({ class: 'keep', min, max, ...extra });
const conn = (min: number, max: number, extra: Partial<OptionSpec> = {}): OptionSpec => ({ class: 'keep', min, max, connection: true, ...extra });
const file = (min: number, max: number, extra: Partial<OptionSpec> = {}): OptionSpec => ({ class: 'file', min, max, inline: true, ...extra });
const engine = (min: number, max: number, reason: string = R.engine): OptionSpec => ({ class: 'engine', min, max, reason });
const drop = (min: number, max: number, reason: string, extra: Partial<OptionSpec> = {}): OptionSpec => ({ class: 'drop', min, max, reason, ...extra });
const refuse = (min: number, max: number, reason: string, extra: Partial<OptionSpec> = {}): OptionSpec => ({ class: 'refuse', min, max, reason, ...extra });
const special = (min: number, max: number, extra: Partial<OptionSpec> = {}): OptionSpec => ({ class: 'special', min, max, ...extra });

/** Every option of OpenVPN 2.6 (src/openvpn/options.c, add_option), by name. */
export const OPENVPN_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  // What makes it a client, and where it connects.
  client: keep(0, 0),
  pull: keep(0, 0),
  'tls-client': keep(0, 0),
  remote: special(1, 3, { connection: true }),
  'remote-random': keep(0, 0),
  'remote-random-hostname': keep(0, 0),
  proto: special(1, 1, { connection: true }),
  'proto-force': keep(1, 1),
  port: conn(1, 1),
  rport: conn(1, 1),
  lport: conn(1, 1),
  local: conn(1, 1),
  bind: conn(0, 1),
  nobind: conn(0, 0),
  float: conn(0, 0),
  'resolv-retry': keep(1, 1),
  preresolve: keep(0, 1),
  'connect-retry': conn(1, 2),
  'connect-retry-max': conn(1, 1),
  'connect-timeout': conn(1, 1),
  'server-poll-timeout': conn(1, 1),
  'explicit-exit-notify': conn(0, 1),
  'ip-remote-hint': keep(0, 1),
  connection: special(1, 1, { inline: true }),
  'http-proxy': special(1, 4, { connection: true }),
  'http-proxy-option': conn(1, 3),
  'http-proxy-override': keep(2, 3),
  'http-proxy-user-pass': refuse(1, ANY, 'credentials for a proxy are not supported yet', { inline: true }),
  'http-proxy-retry': drop(0, ANY, 'removed in OpenVPN 2.4 (ignored): retries work like any connection', { connection: true }),
  'socks-proxy-retry': drop(0, ANY, 'removed in OpenVPN 2.4 (ignored): retries work like any connection', { connection: true }),
  'http-proxy-timeout': drop(1, 1, 'ignored since OpenVPN 2.4: connect-timeout applies', { connection: true }),
  'socks-proxy': special(1, 3, { connection: true }),

  // Link, MTU, timers, sockets.
  'tun-mtu': conn(1, 2),
  'tun-mtu-extra': conn(1, 1),
  'tun-mtu-max': conn(1, 2),
  'link-mtu': conn(1, 1),
  'udp-mtu': conn(1, 1),
  mssfix: conn(0, 2),
  fragment: conn(1, 2),
  'mtu-disc': conn(1, 1),
  'mtu-test': keep(0, 0),
  'max-packet-size': conn(1, 1),
  keepalive: keep(2, 2),
  ping: keep(1, 1),
  'ping-exit': keep(1, 1),
  'ping-restart': keep(1, 1),
  'ping-timer-rem': keep(0, 0),
  inactive: keep(1, 2),
  'session-timeout': keep(1, 1),
  'remap-usr1': keep(1, 1),
  'persist-remote-ip': keep(0, 0),
  'persist-local-ip': keep(0, 0),
  sndbuf: keep(1, 1),
  rcvbuf: keep(1, 1),
  'socket-flags': keep(0, ANY),
  'fast-io': keep(0, 0),
  multihome: keep(0, 0),
  'tcp-nodelay': keep(0, 0),
  passtos: keep(0, 0),
  mark: keep(1, 1),
  shaper: keep(1, 1),
  txqueuelen: keep(1, 1),
  mlock: keep(0, 0),
  nice: keep(1, 1),
  'bind-dev': drop(1, ANY, 'names a network device of your computer; the client has only the sandbox\'s uplink'),

  // The tunnel device, addresses, routes and DNS (Sandtray applies them inside the sandbox).
  dev: special(1, 1),
  'dev-type': special(1, 1),
  'dev-node': drop(1, 1, 'names a device of your computer (on Windows: the adapter); Sandtray creates the tunnel device itself'),
  topology: keep(1, 1),
  ifconfig: keep(2, 2),
  'ifconfig-ipv6': keep(2, 2),
  'ifconfig-noexec': engine(0, 0, R.device),
  'ifconfig-nowarn': keep(0, 0),
  lladdr: drop(1, 1, 'sets the address of a layer-2 (tap) device; Sandtray runs layer-3 tunnels'),
  route: keep(1, 4),
  'route-ipv6': keep(1, 3),
  'route-gateway': keep(1, 1),
  'route-ipv6-gateway': keep(1, 1),
  'route-metric': keep(1, 1),
  'route-delay': drop(0, 2, R.device),
  'route-noexec': engine(0, 0, R.device),
  'route-nopull': keep(0, 0),
  'allow-recursive-routing': keep(0, 0),
  'redirect-gateway': keep(0, ANY),
  'redirect-private': keep(0, ANY),
  'block-ipv6': keep(0, 0),
  'client-nat': keep(4, 4),
  'dhcp-option': keep(1, 2),
  dns: keep(1, ANY),
  'pull-filter': keep(2, 2),
  'allow-pull-fqdn': keep(0, 0),
  'max-routes': drop(0, 1, 'ignored since OpenVPN 2.4: the number of routes is unlimited'),
  'tun-ipv6': drop(0, 0, 'ignored since OpenVPN 2.4: IPv6 needs no setting'),

  // Keys, certificates and files: read from the configuration's folder into inline blocks.
  ca: file(1, 1),
  cert: file(1, 1),
  key: file(1, 1),
  'extra-certs': file(1, 1),
  pkcs12: file(1, 1),
  'tls-auth': file(1, 2, { connection: true }),
  'tls-crypt': file(1, 2, { connection: true }),
  'tls-crypt-v2': file(1, 2, { connection: true }),
  secret: file(1, 2),
  'crl-verify': file(1, 2),
  dh: drop(1, 1, 'only a server uses Diffie-Hellman parameters', { inline: true }),
  capath: refuse(1, 1, 'names a folder of certificates on your computer; put the CA certificate in a <ca> block instead'),
  'peer-fingerprint': keep(1, 1, { inline: true }),
  'verify-hash': keep(1, 2, { inline: true }),
  askpass: special(0, 1),
  'auth-user-pass': special(0, 1, { inline: true }),
  'static-challenge': special(2, 2),
  'auth-retry': special(1, 1),
  'auth-nocache': keep(0, 0),
  'auth-token': drop(1, 1, 'a session token the server hands out; it is not kept in a configuration'),
  'auth-token-user': drop(1, 1, 'a session token the server hands out; it is not kept in a configuration'),
  'key-direction': conn(1, 1),
  'cryptoapicert': refuse(1, 1, 'reads the certificate from the Windows certificate store; export it and put it in <cert> and <key> blocks'),

  // Crypto and TLS.
  auth: keep(1, 1),
  cipher: keep(1, 1),
  'data-ciphers': keep(1, 1),
  'data-ciphers-fallback': keep(1, 1),
  'ncp-ciphers': keep(1, 1),
  'tls-cipher': keep(1, 1),
  'tls-ciphersuites': keep(1, 1),
  'tls-groups': keep(1, 1),
  'ecdh-curve': keep(1, 1),
  'tls-cert-profile': keep(1, 1),
  'tls-version-min': keep(1, 2),
  'tls-version-max': keep(1, 1),
  'remote-cert-tls': keep(1, 1),
  'remote-cert-ku': keep(0, ANY),
  'remote-cert-eku': keep(1, 1),
  'ns-cert-type': keep(1, 1),
  'verify-x509-name': keep(1, 2),
  'x509-track': keep(1, 1),
  'tls-timeout': keep(1, 1),
  'hand-window': keep(1, 1),
  'tran-window': keep(1, 1),
  'reneg-sec': keep(1, 2),
  'reneg-bytes': keep(1, 1),
  'reneg-pkts': keep(1, 1),
  'tls-exit': keep(0, 0),
  'single-session': keep(0, 0),
  'push-peer-info': keep(0, 0),
  compress: keep(0, 1),
  'comp-lzo': keep(0, 1),
  'comp-noadapt': keep(0, 0),
  'allow-compression': keep(1, 1),
  'no-replay': keep(0, 0),
  'replay-window': keep(0, 2),
  'mute-replay-warnings': keep(0, 0),
  'use-prediction-resistance': keep(0, 0),
  'force-tls-key-material-export': keep(0, ANY),
  'keying-material-exporter': keep(2, ANY),
  'opt-verify': keep(0, 0),
  'disable-occ': keep(0, 0),
  'compat-mode': keep(1, 2),
  mute: keep(1, 1),

  // Set by Sandtray: its own values win.
  verb: engine(1, 1),
  'persist-tun': engine(0, 0),
  'persist-key': engine(0, 0),
  'disable-dco': engine(0, ANY),
  'script-security': special(1, 1),
  management: engine(1, 3, R.management),
  'management-hold': engine(0, 0, R.management),
  'management-query-passwords': engine(0, 0, R.management),
  'management-client': engine(0, 0, R.management),
  'management-client-auth': engine(0, 0, R.management),
  'management-client-user': engine(1, 1, R.management),
  'management-client-group': engine(1, 1, R.management),
  'management-forget-disconnect': engine(0, 0, R.management),
  'management-log-cache': engine(1, 1, R.management),
  'management-query-proxy': engine(0, 0, R.management),
  'management-query-remote': engine(0, 0, R.management),
  'management-signal': engine(0, 0, R.management),
  'management-up-down': engine(0, 0, R.management),
  'management-external-key': refuse(0, ANY, 'needs a program that signs with the key on the client\'s behalf; put the key in a <key> block'),
  'management-external-cert': refuse(1, 1, 'needs a program that hands over the certificate; put it in a <cert> block'),
  echo: drop(0, ANY, 'messages for a graphical client'),
  parameter: drop(0, ANY, 'messages for a graphical client'),
  syslog: drop(0, 1, R.log),
  'errors-to-stderr': drop(0, 0, R.log),
  'suppress-timestamps': drop(0, 0, R.log),
  'machine-readable-output': drop(0, 0, R.log),
  'status-version': drop(1, 1, 'only matters with a status file, which Sandtray refuses'),
  user: drop(1, 1, R.unprivileged),
  group: drop(1, 1, R.unprivileged),
  setcon: drop(1, 1, R.unprivileged),
  'tmp-dir': drop(1, 1, R.scriptsOnly),
  setenv: special(1, 2),
  'setenv-safe': drop(1, 2, R.scriptsOnly),
  'ignore-unknown-option': special(1, ANY),
  'x509-username-field': refuse(1, ANY, R.server),

  // Scripts: the known DNS helpers are dropped (see DNS_HELPERS), every other script is refused.
  up: special(1, ANY),
  down: special(1, ANY),
  'down-pre': drop(0, 0, R.scriptsOnly),
  'up-delay': drop(0, 0, R.scriptsOnly),
  'up-restart': drop(0, 0, R.scriptsOnly),
  'route-up': refuse(1, ANY, R.script),
  'route-pre-down': refuse(1, ANY, R.script),
  ipchange: refuse(1, ANY, R.script),
  'tls-verify': refuse(1, ANY, R.script),
  'tls-export-cert': refuse(1, 1, 'writes the server\'s certificates into a folder of your computer'),
  'auth-user-pass-verify': refuse(1, ANY, R.serverScript),
  'client-connect': refuse(1, ANY, R.serverScript),
  'client-disconnect': refuse(1, ANY, R.serverScript),
  'client-crresponse': refuse(1, ANY, R.serverScript),
  'learn-address': refuse(1, ANY, R.serverScript),
  'tls-crypt-v2-verify': refuse(1, 1, R.serverScript),
  plugin: refuse(1, ANY, 'loads a plugin, a program library that runs inside the client with your rights'),
  providers: refuse(1, ANY, 'loads OpenSSL provider libraries from your computer into the client'),
  engine: refuse(0, 1, 'loads an OpenSSL engine library from your computer into the client'),
  iproute: refuse(1, 1, 'replaces the ip command with another program'),
  config: refuse(1, 1, 'reads another configuration file, which Sandtray has not checked; put its options into this file'),

  // Files and places on the host.
  log: refuse(1, 1, `writes a file on your computer; ${R.log}`),
  'log-append': refuse(1, 1, `writes a file on your computer; ${R.log}`),
  status: refuse(1, 2, 'writes a file on your computer; `sandtray vpn status NAME` shows the tunnel\'s state'),
  writepid: refuse(1, 1, 'writes a file on your computer'),
  'replay-persist': refuse(1, 1, 'writes a file on your computer'),
  memstats: refuse(1, 1, 'writes a file on your computer'),
  daemon: refuse(0, 1, 'Sandtray runs the client in the background itself; remove the line'),
  cd: refuse(1, 1, 'changes the folder the client reads files from; Sandtray reads them from the configuration\'s folder'),
  chroot: refuse(1, 1, 'Sandtray decides where the client runs'),

  // Windows only.
  'block-outside-dns': drop(0, 0, R.windows),
  'register-dns': drop(0, 0, R.windows),
  'route-method': drop(1, 1, R.windows),
  'ip-win32': drop(1, 3, R.windows),
  'dhcp-renew': drop(0, 0, R.windows),
  'dhcp-release': drop(0, 0, R.windows),
  'dhcp-pre-release': drop(0, 0, R.windows),
  'tap-sleep': drop(1, 1, R.windows),
  'win-sys': drop(1, 1, R.windows),
  'windows-driver': drop(1, 1, R.windows),
  'allow-nonadmin': drop(0, 1, R.windows),
  'pause-exit': drop(0, 0, R.windows),
  'rdns-internal': drop(0, 0, R.windows),
  'msg-channel': drop(1, ANY, R.windows),
  service: drop(1, 2, R.windows),
  'show-net-up': drop(0, 0, R.windows),
  'dhcp-internal': refuse(1, 1, R.mode),
  'show-adapters': refuse(0, 0, R.mode),
  'show-valid-subnets': refuse(0, 0, R.mode),
  'show-net': refuse(0, 0, R.mode),

  // Other modes of the openvpn program.
  genkey: refuse(0, 3, R.mode),
  mktun: refuse(0, 0, R.mode),
  rmtun: refuse(0, 0, R.mode),
  'show-ciphers': refuse(0, 0, R.mode),
  'show-digests': refuse(0, 0, R.mode),
  'show-tls': refuse(0, 0, R.mode),
  'show-engines': refuse(0, 0, R.mode),
  'show-curves': refuse(0, 0, R.mode),
  'show-groups': refuse(0, 0, R.mode),
  'show-gateway': refuse(0, 1, R.mode),
  'show-pkcs11-ids': refuse(0, 2, R.mode),
  'test-crypto': refuse(0, 0, R.mode),
  version: refuse(0, 0, R.mode),
  help: refuse(0, ANY, R.mode),
  gremlin: refuse(1, 1, 'a debugging option that makes the connection unreliable on purpose'),

  // Smart cards.
  'pkcs11-providers': refuse(1, ANY, R.pkcs11),
  'pkcs11-id': refuse(1, 1, R.pkcs11),
  'pkcs11-id-management': refuse(0, 0, R.pkcs11),
  'pkcs11-pin-cache': refuse(1, 1, R.pkcs11),
  'pkcs11-private-mode': refuse(1, ANY, R.pkcs11),
  'pkcs11-protected-authentication': refuse(0, ANY, R.pkcs11),
  'pkcs11-cert-private': refuse(0, ANY, R.pkcs11),

  // Server side and what only a server pushes.
  server: refuse(2, 3, R.server),
  'server-ipv6': refuse(1, 1, R.server),
  'server-bridge': refuse(0, 4, R.server),
  mode: refuse(1, 1, R.server),
  'tls-server': refuse(0, 0, R.server),
  'ifconfig-pool': refuse(2, 3, R.server),
  'ifconfig-pool-persist': refuse(1, 2, R.server),
  'ifconfig-ipv6-pool': refuse(1, 1, R.server),
  'ifconfig-push': refuse(2, 3, R.server),
  'ifconfig-ipv6-push': refuse(1, 2, R.server),
  'ifconfig-push-constraint': refuse(2, 2, R.server),
  iroute: refuse(1, 2, R.server),
  'iroute-ipv6': refuse(1, 1, R.server),
  push: refuse(1, 1, R.server),
  'push-reset': refuse(0, 0, R.server),
  'push-remove': refuse(1, 1, R.server),
  'client-to-client': refuse(0, 0, R.server),
  'duplicate-cn': refuse(0, 0, R.server),
  'client-config-dir': refuse(1, 1, R.server),
  'ccd-exclusive': refuse(0, 0, R.server),
  'max-clients': refuse(1, 1, R.server),
  'max-routes-per-client': refuse(1, 1, R.server),
  'stale-routes-check': refuse(1, 2, R.server),
  'connect-freq': refuse(2, 2, R.server),
  'connect-freq-initial': refuse(2, 2, R.server),
  'port-share': refuse(2, 3, R.server),
  'hash-size': refuse(2, 2, R.server),
  'bcast-buffers': refuse(1, 1, R.server),
  'tcp-queue-limit': refuse(1, 1, R.server),
  'username-as-common-name': refuse(0, 0, R.server),
  'auth-user-pass-optional': refuse(0, 0, R.server),
  'verify-client-cert': refuse(0, 1, R.server),
  'auth-gen-token': refuse(0, ANY, R.server),
  'auth-gen-token-secret': refuse(1, 1, R.server, { inline: true }),
  'vlan-tagging': refuse(0, 0, R.server),
  'vlan-accept': refuse(1, 1, R.server),
  'vlan-pvid': refuse(1, 1, R.server),
  disable: refuse(0, 0, R.server),
  'push-continuation': refuse(1, 1, R.pushed),
  'peer-id': refuse(1, 1, R.pushed),
  'key-derivation': refuse(1, ANY, R.pushed),
  'protocol-flags': refuse(1, ANY, R.pushed),
};

/** Options older OpenVPN versions knew and the installed 2.6 does not: dropped or refused, saying why. */
export const REMOVED_OPTIONS: Readonly<Record<string, { class: 'drop' | 'refuse'; reason: string }>> = {
  keysize: { class: 'drop', reason: 'removed in OpenVPN 2.6 (the client would stop on it): ciphers use their own key size' },
  'ncp-disable': { class: 'drop', reason: 'removed in OpenVPN 2.6 (the client would stop on it): data-ciphers are always negotiated' },
  'no-iv': { class: 'refuse', reason: 'removed in OpenVPN 2.5; the server needs a newer configuration' },
  'tls-remote': { class: 'refuse', reason: 'removed in OpenVPN 2.4; write verify-x509-name NAME name instead' },
  'ifconfig-pool-linear': { class: 'refuse', reason: 'removed in OpenVPN 2.5 (a server option)' },
  inetd: { class: 'refuse', reason: 'removed in OpenVPN 2.6 (a server mode)' },
  'client-cert-not-required': { class: 'refuse', reason: 'removed in OpenVPN 2.5 (a server option)' },
  'compat-names': { class: 'drop', reason: 'removed in OpenVPN 2.5 (the client would stop on it): it only renamed variables of scripts' },
  'no-name-remapping': { class: 'drop', reason: 'removed in OpenVPN 2.5 (the client would stop on it): it only renamed variables of scripts' },
  'mtu-dynamic': { class: 'refuse', reason: 'removed in OpenVPN 2.1; write fragment N instead' },
  prng: { class: 'drop', reason: 'ignored since OpenVPN 2.5: the TLS library\'s generator is used' },
};

/** Inline blocks Sandtray reads; any other <tag> is refused. */
export function inlineSpec(tag: string): OptionSpec | null {
  const s = OPENVPN_OPTIONS[tag];
  return s && s.inline ? s : null;
}

/**
 * Scripts that only hand the VPN's DNS servers to the host's resolver. Sandtray writes the
 * sandbox's resolv.conf itself, so these lines are dropped with a note; any other script is refused.
 */
export const DNS_HELPERS = new Set(['update-resolv-conf', 'update-resolv-conf.sh', 'update-systemd-resolved', 'update-systemd-resolved.sh', 'client.up', 'client.down']);

/** setenv names worth passing on: OpenVPN sends UV_* (with push-peer-info) and these IV_* to the server. */
export function setenvKept(name: string): boolean {
  return /^UV_[A-Za-z0-9_]+$/.test(name) || name === 'IV_GUI_VER' || name === 'IV_PLAT_VER';
}

/** Why a setenv that is not passed on is dropped. */
export function setenvDropReason(name: string): string {
  switch (name) {
    case 'FORWARD_COMPATIBLE':
      return 'tells OpenVPN to skip options it does not know; Sandtray reads every option itself';
    case 'CLIENT_CERT':
    case 'PUSH_PEER_INFO':
      return 'a hint for OpenVPN Connect; the OpenVPN client ignores it';
    case 'IV_SSO':
      return 'announces a web login (SSO), which Sandtray does not support yet';
    default:
      return 'sets a variable that only scripts and plugins read; Sandtray runs neither';
  }
}

/** The C library's isspace in the C locale, plus the end of the string, as OpenVPN's reader sees it. */
export function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r' || c === '\0';
}

/** Most words OpenVPN reads from one line (MAX_PARMS); it silently ignores any beyond. */
export const MAX_WORDS = 16;
/** Longest word OpenVPN accepts, in bytes (OPTION_PARM_SIZE - 1). */
export const MAX_WORD_BYTES = 255;
/** OpenVPN reads option lines in pieces of 256 bytes and stops on a line that fills one (OPTION_LINE_SIZE). */
export const MAX_LINE_BYTES = 254;
/** Lines inside inline blocks are read in pieces of 255 bytes; each piece may end the block. */
export const BLOCK_PIECE_BYTES = 255;

/**
 * Splits one line into words exactly as OpenVPN does (options.c, parse_line): words end at
 * whitespace; "double quotes" and 'single quotes' make one word and end it; a backslash escapes a
 * backslash, a double quote or whitespace (outside single quotes) and is an error before anything
 * else; # or ; where a word could start begins a comment. Throws an Error whose message says why
 * OpenVPN would stop on the line.
 */
export function tokenize(line: string): string[] {
  const INITIAL = 0;
  const QUOTED = 1;
  const UNQUOTED = 2;
  const SQUOTED = 4;
  const out: string[] = [];
  let state = INITIAL;
  let backslash = false;
  let word = '';
  for (let i = 0; i <= line.length; i++) {
    const c = i < line.length ? line[i]! : '\0';
    let ch: string | null = null;
    if (!backslash && c === '\\' && state !== SQUOTED) {
      backslash = true;
    } else {
      let done = false;
      if (state === INITIAL) {
        if (!isSpace(c)) {
          if (c === ';' || c === '#') break;
          if (!backslash && c === '"') state = QUOTED;
          else if (!backslash && c === "'") state = SQUOTED;
          else {
            ch = c;
            state = UNQUOTED;
          }
        }
      } else if (state === UNQUOTED) {
        if (!backslash && isSpace(c)) done = true;
        else ch = c;
      } else if (state === QUOTED) {
        if (!backslash && c === '"') done = true;
        else ch = c;
      } else if (c === "'") {
        done = true;
      } else {
        ch = c;
      }
      if (done) {
        out.push(word);
        word = '';
        state = INITIAL;
      }
      if (ch === '\0') ch = null;
      if (backslash && ch !== null && !(ch === '\\' || ch === '"' || isSpace(ch))) {
        throw new Error(`a backslash before "${ch}", which OpenVPN refuses (write \\\\ for a backslash)`);
      }
      backslash = false;
    }
    if (ch !== null) {
      word += ch;
      if (Buffer.byteLength(word) > MAX_WORD_BYTES) throw new Error(`a word longer than the ${MAX_WORD_BYTES} bytes OpenVPN accepts`);
    }
    if (out.length >= MAX_WORDS) {
      if (/\S/.test(line.slice(i + 1).replace(/^\s*[#;].*$/, ''))) throw new Error(`more than ${MAX_WORDS} words, and OpenVPN ignores the rest`);
      break;
    }
  }
  if (state === QUOTED) throw new Error('no closing quotation mark (")');
  if (state === SQUOTED) throw new Error("no closing quotation mark (')");
  if (state !== INITIAL) throw new Error('it ends in the middle of a word (a backslash at the end of the line?)');
  return out;
}

/** Quotes a word for an OpenVPN configuration line, so that tokenize() gives it back unchanged. */
export function ovpnQuote(s: string): string {
  return /^[A-Za-z0-9_./:@%+,=-]+$/.test(s) ? s : `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
