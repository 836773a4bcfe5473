// The one table of the `sandtray` commands: names, summaries, usage, options with their
// descriptions, examples, and what each argument completes to. The commands parse their flags with
// these options (util.parseArgs), and `--help`, `sandtray help`, the man page and the shell
// completions are all generated from it (cli/help.ts, cli/complete.ts). Plain data: loading it
// loads nothing else, so `--help` stays as quick as Node's start-up.

/** What a word completes to: a sandbox's name, a profile's, an app of the sandbox named before it, a file, a state... */
export type Completion = 'sandbox' | 'profile' | 'app' | 'file' | 'dir' | 'state' | 'shell' | 'format' | 'command' | 'none';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** The value's name in usage lines, e.g. PROFILE. */
  readonly arg?: string;
  readonly description: string;
  readonly complete?: Completion;
}

export interface CommandSpec {
  readonly summary: string;
  /** Usage lines after `sandtray `. */
  readonly usage: readonly string[];
  /** Longer text for --help and the man page. */
  readonly description?: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** What the positional words complete to, in order; the last one repeats. */
  readonly args?: readonly Completion[];
  /** Sub-commands (profile list, vpn import...), completed as the first word. */
  readonly subcommands?: readonly string[];
  readonly examples: readonly string[];
  /** Left out of help, completion of command names, and the man page (`__complete`). */
  readonly hidden?: boolean;
}

const json = { json: { type: 'boolean', description: 'print JSON for programs' } } as const;
const profileOpts = {
  profile: { type: 'string', short: 'p', multiple: true, arg: 'PROFILE', description: 'a profile name (`sandtray profile list`) or a .sandtray file; repeat to layer them', complete: 'profile' },
  set: { type: 'string', short: 'c', multiple: true, arg: 'KEY=VALUE', description: 'set one profile key for this sandbox, dotted for nested ones (e.g. network.mode=nat, env.PORT=8080)' },
} as const;
/** start, launch and restart: wait for the VPN tunnel (lifecycle/wait-tunnel.ts; commands.ts TUNNEL_WAIT_DEFAULT). */
const waitOpts = {
  wait: { type: 'boolean', description: 'return once each VPN sandbox\'s tunnel is connected; a tunnel that fails or is not up in time stops the sandbox again (exit 1)' },
  'wait-timeout': { type: 'string', arg: 'S', description: 'how long --wait waits, in seconds (default 60)' },
} as const;
const stopOpts = {
  timeout: { type: 'string', short: 't', arg: 'S', description: 'seconds between SIGTERM and SIGKILL (default 10)' },
  force: { type: 'boolean', short: 'f', description: 'kill at once' },
} as const;

/** The sandbox states (runtime/state.ts STATES, written out so that help loads no engine; a unit test checks they agree). */
export const STATE_NAMES = ['STOPPED', 'STARTING', 'RUNNING', 'STOPPING', 'ABORTING'] as const;
export const LIST_FORMATS = ['table', 'json', 'names'] as const;

export const TABLE = {
  doctor: {
    summary: 'check this host and print the fix for each problem',
    usage: ['doctor [--json]'],
    description: 'Checks user namespaces (and AppArmor\'s restriction of them), subordinate ids, newuidmap/newgidmap, bwrap, /dev/net/tun and pasta. Exits 1 when something stops Sandtray from working here.',
    options: { ...json },
    examples: ['sandtray doctor'],
  },
  create: {
    summary: 'create a stopped sandbox',
    usage: ['create NAME [-p PROFILE]... [--set KEY=VALUE]...'],
    description: 'Nothing is written if the layered profile is invalid. What the sandbox may do beyond the defaults is named on stderr, one warning: line each.',
    options: { ...profileOpts },
    args: ['none'],
    examples: ['sandtray create web -p dev', 'sandtray create tmp --set home=tmpfs --set env.PORT=8080', 'sandtray create site --set network.mode=nat --set \'network.ports=[{host: 8080, sandbox: 80}]\''],
  },
  launch: {
    summary: 'create and start a sandbox',
    usage: ['launch NAME [-p PROFILE]... [--set KEY=VALUE]... [--wait [--wait-timeout S]]'],
    description: 'create, then start; a failed start leaves nothing behind. --wait as for start.',
    options: { ...profileOpts, ...waitOpts },
    args: ['none'],
    examples: ['sandtray launch web -p dev'],
  },
  start: {
    summary: 'start stopped sandboxes',
    usage: ['start NAME... [--wait [--wait-timeout S]]'],
    description: 'Returns once pid 1 runs; a VPN sandbox\'s tunnel may still be connecting. With --wait, returns once the tunnel of each VPN sandbox is connected (a WireGuard handshake with the peer), printing its address and endpoint; a tunnel that fails, a sandbox that stops, or the timeout passing exits 1 with the reason, and a sandbox this command started is stopped again. Ctrl-C while waiting stops it too. --wait changes nothing for a sandbox without a VPN.',
    options: { ...waitOpts },
    args: ['sandbox'],
    examples: ['sandtray start web', 'sandtray start work --wait && sandtray exec work -- curl -sS https://intranet.example/'],
  },
  stop: {
    summary: 'stop sandboxes: SIGTERM, then SIGKILL after a timeout',
    usage: ['stop NAME... [--timeout S] [--force]'],
    options: { ...stopOpts },
    args: ['sandbox'],
    examples: ['sandtray stop web', 'sandtray stop -t 2 web db'],
  },
  restart: {
    summary: 'stop (if running), then start',
    usage: ['restart NAME... [--timeout S] [--force] [--wait [--wait-timeout S]]'],
    description: 'The profile is checked first: one that no longer validates leaves the sandbox running. --wait as for start; a sandbox that was running before is left running when its tunnel does not come up.',
    options: { ...stopOpts, ...waitOpts },
    args: ['sandbox'],
    examples: ['sandtray restart web'],
  },
  delete: {
    summary: 'remove sandboxes, their homes and leftovers',
    usage: ['delete NAME... [--force]'],
    options: { force: { type: 'boolean', short: 'f', description: 'stop a running sandbox first' } },
    args: ['sandbox'],
    examples: ['sandtray delete web', 'sandtray delete -f web'],
  },
  run: {
    summary: 'run one command in a throw-away sandbox',
    usage: ['run [-p PROFILE]... [--set KEY=VALUE]... [-- CMD [ARG...]]'],
    description: 'The sandbox (home on tmpfs) is removed afterwards; the command\'s exit code is passed through. Without a command: the profile\'s command, by default a login shell.',
    options: { ...profileOpts },
    args: ['command'],
    examples: ['sandtray run -p dev -- make test', 'sandtray run --set network.mode=none -- curl example.org'],
  },
  shell: {
    summary: 'a login shell inside, on a new terminal',
    usage: ['shell NAME'],
    options: {},
    args: ['sandbox'],
    examples: ['sandtray shell web'],
  },
  open: {
    summary: 'start the sandbox if needed, then one of its apps, detached',
    usage: ['open NAME APP'],
    description: 'The apps are the profile\'s `apps` (`sandtray info NAME`); their output goes to the sandbox\'s log.',
    options: {},
    args: ['sandbox', 'app'],
    examples: ['sandtray open office firefox'],
  },
  export: {
    summary: 'add one of a sandbox\'s apps to the desktop\'s application menu',
    usage: ['export NAME APP'],
    description: 'Writes $XDG_DATA_HOME/applications/sandtray-NAME-APP.desktop (default ~/.local/share/applications), named "TITLE (NAME)", with the app\'s icon, which runs `sandtray open NAME APP` with this very sandtray. Rewrites its own entry; a file of that name Sandtray did not write is left alone and refused. `delete` removes a sandbox\'s entries.',
    options: {},
    args: ['sandbox', 'app'],
    examples: ['sandtray export office firefox'],
  },
  unexport: {
    summary: 'remove desktop entries made by export',
    usage: ['unexport NAME [APP]'],
    description: 'Without APP, every entry of the sandbox. Only entries Sandtray wrote are removed.',
    options: {},
    args: ['sandbox', 'app'],
    examples: ['sandtray unexport office firefox', 'sandtray unexport office'],
  },
  exec: {
    summary: 'run a command inside a running sandbox, passing stdio and exit code',
    usage: ['exec NAME [-e KEY=VALUE | -e KEY]... [--env-file FILE] [-w DIR] [-u UID[:GID]] -- CMD [ARG...]'],
    description: 'Environment values reach the sandbox through a private file, never a command line: `-e KEY` passes your own $KEY on, and --env-file reads NAME=VALUE lines.',
    options: {
      env: { type: 'string', short: 'e', multiple: true, arg: 'KEY[=VALUE]', description: 'set a variable; KEY alone passes your own $KEY on' },
      'env-file': { type: 'string', multiple: true, arg: 'FILE', description: 'read variables from FILE: NAME=VALUE lines, # comments', complete: 'file' },
      workdir: { type: 'string', short: 'w', arg: 'DIR', description: 'working directory inside (absolute; default the profile\'s workdir)' },
      user: { type: 'string', short: 'u', arg: 'UID[:GID]', description: 'run as this uid (and gid, default the uid) inside, with no supplementary groups' },
    },
    args: ['sandbox', 'command'],
    examples: ['sandtray exec web -- ls /', 'sandtray exec web -w /srv -e DEBUG=1 -- make', 'sandtray exec web --env-file .env -u 1000 -- ./serve'],
  },
  file: {
    summary: 'copy a file into or out of a running sandbox',
    usage: ['file push NAME HOSTFILE PATH [-p] [--mode MODE] [--uid UID] [--gid GID]', 'file pull NAME PATH HOSTPATH'],
    description: 'Regular files only. PATH is absolute inside the sandbox and resolved there, as by a process inside: a symbolic link in the sandbox never leads out of it. push creates the file as root inside (that is, you) with the host file\'s permissions, unless --uid, --gid or --mode say otherwise; into an existing folder, under the host file\'s name. pull keeps the permission bits (never set-user-id), into HOSTPATH or, when that is a folder, under the file\'s name there; it refuses to write through a symbolic link on the host. Both write a temporary file and rename it into place only once every byte has arrived.',
    options: {
      'create-dirs': { type: 'boolean', short: 'p', description: 'create the missing folders of PATH inside (push)' },
      mode: { type: 'string', arg: 'MODE', description: 'permission bits in octal, e.g. 0644 (push; default the host file\'s)' },
      uid: { type: 'string', arg: 'UID', description: 'owner inside (push; default 0, root inside, that is you)' },
      gid: { type: 'string', arg: 'GID', description: 'group inside (push; default the uid)' },
    },
    subcommands: ['push', 'pull'],
    args: ['sandbox', 'file'],
    examples: ['sandtray file push web ./site.conf /etc/nginx/site.conf', 'sandtray file push -p --mode 0600 web key.pem /root/.ssh/id', 'sandtray file pull web /var/log/app.log .'],
  },
  list: {
    summary: 'sandboxes with state, pid, network and profiles',
    usage: ['list [--format table|json|names] [--state STATE] [--json]'],
    options: {
      format: { type: 'string', arg: 'FORMAT', description: 'table (default), json, or names (one per line, for scripts)', complete: 'format' },
      state: { type: 'string', short: 's', multiple: true, arg: 'STATE', description: 'only sandboxes in this state (RUNNING, STOPPED, ...; BROKEN for damaged records); repeatable', complete: 'state' },
      ...json,
    },
    examples: ['sandtray list', 'sandtray list --state RUNNING --format names'],
  },
  info: {
    summary: 'state, expanded profile with origins, namespaces, id map, mounts, processes',
    usage: ['info NAME [--json]'],
    options: { ...json },
    args: ['sandbox'],
    examples: ['sandtray info web', 'sandtray info web --json'],
  },
  ps: {
    summary: 'the processes of a sandbox (host pid, pid inside, uid inside)',
    usage: ['ps NAME [--json]'],
    options: { ...json },
    args: ['sandbox'],
    examples: ['sandtray ps web'],
  },
  pid: {
    summary: 'which sandbox host pids belong to',
    usage: ['pid HOSTPID... [--json]', 'pid - [--json]'],
    description: 'With -, the pids are read from stdin. Exits 1 when a pid belongs to no sandbox.',
    options: { ...json },
    examples: ['sandtray pid 4242', 'pgrep firefox | sandtray pid -'],
  },
  log: {
    summary: 'lifecycle log, then the sandbox\'s own output (lines marked [inside])',
    usage: ['log NAME [--path] [--follow] [--json]'],
    options: {
      path: { type: 'boolean', description: 'print where the log files are' },
      follow: { type: 'boolean', short: 'f', description: 'keep printing what comes (JSON: one object per line)' },
      ...json,
    },
    args: ['sandbox'],
    examples: ['sandtray log web', 'sandtray log -f web'],
  },
  assets: {
    summary: 'every file and process of a sandbox, checked',
    usage: ['assets NAME [--json]'],
    description: 'Exits 1 when one of them is not valid.',
    options: { ...json },
    args: ['sandbox'],
    examples: ['sandtray assets web'],
  },
  monitor: {
    summary: 'a line per state change of matching sandboxes',
    usage: ['monitor [REGEX] [--json]'],
    options: { ...json },
    examples: ['sandtray monitor', 'sandtray monitor \'^work-\' --json'],
  },
  wait: {
    summary: 'wait until a sandbox reaches a state',
    usage: ['wait NAME --state STATE [--timeout S] [--json]'],
    description: 'Exits 1 when the timeout passes first.',
    options: {
      state: { type: 'string', short: 's', arg: 'STATE', description: 'the state to wait for (RUNNING, STOPPED, ...)', complete: 'state' },
      timeout: { type: 'string', short: 't', arg: 'S', description: 'give up after S seconds (default: wait forever)' },
      ...json,
    },
    args: ['sandbox'],
    examples: ['sandtray wait web --state RUNNING --timeout 30'],
  },
  plan: {
    summary: 'what start would run, without running it',
    usage: ['plan NAME [--json]'],
    options: { ...json },
    args: ['sandbox'],
    examples: ['sandtray plan web'],
  },
  profile: {
    summary: 'list, show, validate profiles; print their JSON Schema',
    usage: ['profile list [--json]', 'profile show NAME [--json]', 'profile validate FILE... [--json]', 'profile schema'],
    description: 'validate also prints a warning: line per risk, and exits 1 when a file is invalid.',
    options: { ...json },
    subcommands: ['list', 'show', 'validate', 'schema'],
    args: ['profile'],
    examples: ['sandtray profile list', 'sandtray profile validate ./web.sandtray'],
  },
  idmap: {
    summary: 'subordinate ids: ranges, the shared block, leases, free space',
    usage: ['idmap [--json]', 'idmap release NAME'],
    description: 'release frees the lease of a sandbox removed by hand.',
    options: { ...json },
    subcommands: ['release'],
    examples: ['sandtray idmap'],
  },
  vpn: {
    summary: 'VPN sandboxes from OpenVPN and WireGuard files',
    usage: ['vpn import FILE [--name NAME] [--store keyring|file] [--dry-run] [--json]', 'vpn status [NAME] [--json]', 'vpn verify NAME [--json]'],
    description: 'import prints what it kept, rewrote, dropped and refused; credentials move to the keyring, or with --store file (where no Secret Service runs) to 0600 files under ~/.config/sandtray/secrets/.',
    options: {
      name: { type: 'string', short: 'n', arg: 'NAME', description: 'name of the new sandbox (import)' },
      store: { type: 'string', arg: 'keyring|file', description: 'where credentials go: the keyring (default) or 0600 files you consent to (import)' },
      'dry-run': { type: 'boolean', description: 'print the verdict only, write nothing (import)' },
      ...json,
    },
    subcommands: ['import', 'status', 'verify'],
    args: ['file'],
    examples: ['sandtray vpn import work.ovpn --name work', 'sandtray vpn status work'],
  },
  secret: {
    summary: 'store or delete a secret of a sandbox',
    usage: ['secret set SANDBOX KEY [--store keyring|file]', 'secret delete SANDBOX KEY'],
    description: 'The value is read without echo, or from stdin. It goes to the keyring, or to a 0600 file under ~/.config/sandtray/secrets/ with --store file or when the sandbox already keeps its secrets there.',
    options: {
      store: { type: 'string', arg: 'keyring|file', description: 'the keyring (Secret Service) or a 0600 file you consent to (set)' },
    },
    subcommands: ['set', 'delete'],
    args: ['sandbox', 'none'],
    examples: ['printf %s "$PASS" | sandtray secret set work password'],
  },
  paths: {
    summary: 'where Sandtray keeps its files',
    usage: ['paths [--json]'],
    options: { ...json },
    examples: ['sandtray paths --json'],
  },
  help: {
    summary: 'help on a command',
    usage: ['help [COMMAND]'],
    options: {},
    args: ['command'],
    examples: ['sandtray help exec'],
  },
  completion: {
    summary: 'print a shell completion script (bash, zsh or fish)',
    usage: ['completion bash|zsh|fish'],
    description: 'bash: add `source <(sandtray completion bash)` to ~/.bashrc; zsh: `source <(sandtray completion zsh)` in ~/.zshrc; fish: `sandtray completion fish > ~/.config/fish/completions/sandtray.fish`. The .deb installs all three.',
    options: {},
    args: ['shell'],
    examples: ['source <(sandtray completion bash)'],
  },
  man: {
    summary: 'print the sandtray(1) manual page (roff)',
    usage: ['man'],
    options: {},
    examples: ['sandtray man | man -l -'],
  },
  __complete: {
    summary: 'completion candidates for the shell scripts',
    usage: ['__complete INDEX WORD...'],
    options: {},
    examples: [],
    hidden: true,
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof TABLE;

/** The table entry of a command, or undefined. */
export function specOf(name: string): CommandSpec | undefined {
  return Object.hasOwn(TABLE, name) ? (TABLE as Record<string, CommandSpec>)[name] : undefined;
}

/** Exit codes, for help and the man page. */
export const EXIT_CODES: readonly [number, string][] = [
  [0, 'success'],
  [1, 'failure: the command ran and something failed (the error says what, with a hint)'],
  [2, 'wrong usage: unknown command or option, missing or malformed argument'],
];
