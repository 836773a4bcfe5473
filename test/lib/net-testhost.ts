// A stand-in for "the host" of a nat sandbox, made by the test itself, so that what a nat sandbox
// sends through pasta lands in a namespace the test owns and never leaves this machine.
//
// `unshare` as the test user makes a user, network, mount and pid namespace. There the script
// below sets up a link with addresses from the benchmarking ranges (198.18.0.0/15, 2001:2::/48)
// and a default route for each IP version (pasta takes its template from them), points
// /etc/resolv.conf at a DNS server the test runs there, starts the test's servers, and moves into a
// root of its own (a tmpfs with the system's /usr, /etc, /dev, /sys and the checkout bound in), so
// every folder Sandtray keeps state in belongs to the user. The Sandtray CLI then runs there as
// the test user, through nsenter, in one more user namespace that maps only the user's own ids
// (the single-id map: no subordinate ids are needed). Killing the namespace's pid 1 ends it all:
// sandboxes, pasta and servers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { BIN, ROOT } from './sandtray.js';
import { until } from './vpn-lab.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const RESPONDER = path.join(HERE, 'vpn-responder.js');

/** Addresses of the test host's own link (what pasta copies by default). */
export const TEST_HOST = {
  address: '198.18.200.2', gateway: '198.18.200.1',
  address6: '2001:2::2', gateway6: '2001:2::1',
  /** The DNS server of the test host's resolv.conf (the responder, on its link address). */
  dns: '198.18.200.2',
  /** TCP port of the servers below. */
  port: 8181,
} as const;

/** Who answers on TEST_HOST.port in the test host, each with its own line. */
export const SERVICES: Record<string, string> = {
  '127.0.0.1': 'test-host loopback',
  '::1': 'test-host loopback6',
};

const SETUP = `set -eu
dir=$1 root=$2 uid=$3 gid=$4 names=$5 v6=$6 resolv=$7; shift 7
ip link set lo up
ip link add th0 type veth peer name th1
ip link set th0 up; ip link set th1 up
ip addr add ${TEST_HOST.address}/24 dev th0
ip route add default via ${TEST_HOST.gateway}
if [ "$v6" = yes ]; then
  ip -6 addr add ${TEST_HOST.address6}/64 dev th0 nodad
  ip -6 route add default via ${TEST_HOST.gateway6} dev th0
fi
# Extra local addresses on the other end: real machines at the addresses the sandbox may name.
for a in "$@"; do case $a in *:*) ip -6 addr add "$a"/128 dev th1 nodad ;; *) ip addr add "$a"/32 dev th1 ;; esac; done
printf 'nameserver ${TEST_HOST.dns}\\n' > "$dir/resolv.conf"
mount --bind "$dir/resolv.conf" "$(readlink -f /etc/resolv.conf)"
node "$dir/services.cjs" > "$dir/services.log" 2>&1 &
node ${JSON.stringify(RESPONDER)} test-host-responder $names > "$dir/responder.log" 2>&1 &
# Both servers read their files in this root; wait for them before the root changes under them
# (a loaded machine may take long to start node; bounded at 90 s).
i=0
until grep -q listening "$dir/services.log" 2>/dev/null && grep -q 'responder ready' "$dir/responder.log" 2>/dev/null; do
  i=$((i + 1))
  if [ "$i" -gt 900 ]; then echo "the test host servers did not start in 90 s" >&2; cat "$dir/services.log" "$dir/responder.log" >&2; exit 1; fi
  sleep 0.1
done
# The root the CLI runs in.
mount -t tmpfs -o mode=755 sandtray-testhost "$root"
cd "$root"
mkdir -p usr etc dev sys proc var opt tmp run state state/sub state/run old
chmod 1777 tmp; chmod 700 state/run
: > state/sub/subuid; : > state/sub/subgid
for l in bin sbin lib lib32 lib64 libx32; do if [ -L "/$l" ]; then ln -s "$(readlink "/$l")" "$l"; elif [ -d "/$l" ]; then mkdir "$l"; mount --rbind "/$l" "$l"; fi; done
for d in usr etc dev sys var opt; do [ -d "/$d" ] && mount --rbind "/$d" "$d"; done
# A host without /etc/resolv.conf: /etc again, entry by entry, all but that one.
if [ "$resolv" = no ]; then
  umount -R etc; mount -t tmpfs -o mode=755 sandtray-testhost-etc etc
  for f in /etc/* /etc/.[!.]*; do
    n=\${f##*/}
    if [ "$n" = resolv.conf ] || { [ ! -e "$f" ] && [ ! -L "$f" ]; }; then continue; fi
    if [ -L "$f" ]; then cp -P "$f" "etc/$n"
    elif [ -d "$f" ]; then mkdir "etc/$n"; mount --rbind "$f" "etc/$n"
    elif [ -f "$f" ]; then : > "etc/$n"; mount --bind "$f" "etc/$n"
    fi
  done
  mount -o remount,bind,ro etc
fi
mount --rbind /proc proc
mkdir -p ".${ROOT}"; mount --rbind ${JSON.stringify(ROOT)} ".${ROOT}"
pivot_root . old
umount -l /old; rmdir /old
cd /
# A process of the test host's first user namespace, in the new root: the way in (see enter()).
sleep infinity &
# Pid 1 from here on: reaps what is orphaned (sandboxes, pasta), as the host's init would.
exec unshare --user --map-user="$uid" --map-group="$gid" -- perl -e '$| = 1; print "ready\\n"; $SIG{TERM} = sub { exit 0 }; while (1) { sleep 1 if wait() == -1 }'
`;

export interface TestHost {
  /** Host pid of the test host's pid 1. */
  pid: number;
  /** Runs the Sandtray CLI in the test host; never throws. */
  run(args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  /** Same, but throws with the output when the exit code is not 0. */
  ok(args: string[]): Promise<string>;
  /** Runs a shell command in the test host as the user (its network: `ip -6 addr`...). */
  sh(script: string, timeoutMs?: number): Promise<string>;
  /** Writes a file into the test host's /state and returns its path there. */
  file(name: string, text: string): string;
  stop(): Promise<void>;
}

/**
 * Starts a test host. `names` are DNS names its resolver knows (NAME=ADDRESS); `servers` adds
 * local addresses with a TCP server on TEST_HOST.port that answers `label`; `ipv6: false` gives
 * it no IPv6 address or route beyond loopback; `resolvConf: false` gives it no /etc/resolv.conf
 * (its own resolver still runs, but nothing names it).
 */
export async function startTestHost(opts: { names: Record<string, string>; servers?: Record<string, string>; ipv6?: boolean; resolvConf?: boolean }): Promise<TestHost> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-testhost-'));
  const root = path.join(dir, 'root');
  fs.mkdirSync(root);
  const services = { ...SERVICES, ...opts.servers };
  const entries = Object.entries(services);
  fs.writeFileSync(path.join(dir, 'services.cjs'), [
    "const net = require('net');",
    'let n = 0;',
    `for (const [host, label] of ${JSON.stringify(entries)}) net.createServer((s) => s.end(label + '\\n')).listen(${TEST_HOST.port}, host, () => { if (++n === ${entries.length}) console.log('listening'); });`,
  ].join('\n'));
  const uid = process.getuid!();
  const gid = process.getgid!();
  const names = Object.entries(opts.names).map(([n, a]) => `${n}=${a}`).join(' ');
  const extra = Object.keys(opts.servers ?? {});
  const proc: ResultPromise = execa('unshare', ['--user', '--map-root-user', '--net', '--mount', '--pid', '--fork', '--kill-child', '--mount-proc', '--', 'sh', '-c', SETUP, 'sandtray-testhost', dir, root, String(uid), String(gid), names, opts.ipv6 === false ? 'no' : 'yes', opts.resolvConf === false ? 'no' : 'yes', ...extra], { reject: false, buffer: false, stdin: 'ignore', stderr: 'pipe' });
  proc.catch(() => undefined);
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  // A test host that fails to start is ended here: a child left running would keep the test
  // file's process alive after its tests.
  const abandon = async (e: unknown): Promise<never> => {
    proc.kill('SIGKILL');
    await proc;
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  };
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`the test host did not start: ${err}`)), 100_000);
    proc.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(t);
        resolve();
      }
    });
    void proc.then(() => {
      clearTimeout(t);
      reject(new Error(`the test host ended: ${err}`));
    });
  }).catch(abandon);
  const pid = Number(fs.readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
  // The holder was forked before pid 1 said "ready", but on a loaded machine it may not have
  // become `sleep` yet: look until it has (bounded).
  const holderNow = (): number | undefined => {
    try {
      return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).map(Number)
        .find((c) => {
          try {
            return fs.readFileSync(`/proc/${c}/comm`, 'utf8').trim() === 'sleep';
          } catch {
            return false;
          }
        });
    } catch {
      return undefined;
    }
  };
  let holder: number | undefined;
  await until(() => (holder = holderNow()) !== undefined, 30_000, 'the test host has a holder process').catch(abandon);
  if (!holder) return abandon(new Error('the test host has no holder process'));
  // Into the first user namespace (its owner may enter it, and only from there its network, mount
  // and pid namespaces), then into the second one, as the user: pid 1 there holds it.
  const nsenter = [
    '--target', String(holder), '--user', '--net', '--mount', '--pid', '--root', '--wd', '--preserve-credentials', '--',
    'nsenter', '--target', '1', '--user', '--preserve-credentials', '--',
  ];
  const env = [
    'env', '-i', 'PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', 'HOME=/state', 'LANG=C.UTF-8', `USER=${os.userInfo().username}`,
    'XDG_CONFIG_HOME=/state/config', 'XDG_DATA_HOME=/state/data', 'XDG_STATE_HOME=/state/state', 'XDG_RUNTIME_DIR=/state/run',
    'SANDTRAY_TEST_SUBID_DIR=/state/sub',
  ];
  const run: TestHost['run'] = async (args) => {
    const r = await execa('nsenter', [...nsenter, ...env, process.execPath, BIN, ...args], { reject: false, stdin: 'ignore', timeout: 60_000 });
    return { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode ?? -1 };
  };
  const sh: TestHost['sh'] = async (script, timeoutMs = 20_000) => {
    const r = await execa('nsenter', [...nsenter, ...env, '/bin/sh', '-c', script], { reject: false, stdin: 'ignore', timeout: timeoutMs });
    if (r.exitCode !== 0) throw new Error(`in the test host: ${script}\n${String(r.stderr)}${String(r.stdout)}`);
    return String(r.stdout);
  };
  const host: TestHost = {
    pid,
    run,
    async ok(args) {
      const r = await run(args);
      if (r.exitCode !== 0) throw new Error(`sandtray ${args.join(' ')} exited ${r.exitCode}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      return r.stdout;
    },
    sh,
    file(name, text) {
      fs.writeFileSync(`/proc/${pid}/root/state/${name}`, text);
      return `/state/${name}`;
    },
    async stop() {
      proc.kill('SIGKILL');
      await proc;
      await until(() => !fs.existsSync(`/proc/${pid}`), 10_000, 'the test host ends');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  const log = (f: string) => {
    try {
      return fs.readFileSync(path.join(dir, f), 'utf8');
    } catch {
      return '';
    }
  };
  // Two node processes start in there; a loaded two-core machine may take a while.
  await until(() => log('services.log').includes('listening') && log('responder.log').includes('responder ready'), 45_000, 'the test host servers listen').catch((e: Error) => {
    return abandon(new Error(`${e.message}\nservices.log: ${log('services.log').slice(-400)}\nresponder.log: ${log('responder.log').slice(-400)}`));
  });
  return host;
}
