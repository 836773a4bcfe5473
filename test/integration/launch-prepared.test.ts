// A prepared launch step (runtime/prepared.ts), as a long-lived engine (the desktop) keeps one:
// the sandbox it starts must be the very sandbox a freshly spawned step starts. Pid 1 is compared
// field by field (capabilities, no_new_privs, filter, ids, groups, id maps, descriptors, mounts,
// the nesting limit), for a step that made the outer namespace ahead with the right map, one that
// had to make it again (another sandbox's map), and one started with no map to expect. The step's
// own processes are checked too: none outlives its start, the engine, or the engine's choice to
// stop keeping one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execa } from 'execa';
import { sandtrayEnv, writeProfile } from '../lib/sandtray.js';

const T = { timeout: 180_000 };
const e = sandtrayEnv('prepared');
Object.assign(process.env, e.env);
const { startSandbox } = await import('../../helpers/lifecycle/start.js');
const { stopSandbox } = await import('../../helpers/lifecycle/stop.js');
const { stepBase } = await import('../../helpers/runtime/launch.js');
const { keepPreparedSteps, preparedStepReady } = await import('../../helpers/runtime/prepared.js');

interface Proc { pid: number; ppid: number; kind: 'step' | 'holder' }

/** The user's launch steps (perl running the step) and namespace holders (named sandtray-userns). */
function stepProcesses(): Proc[] {
  const out: Proc[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.statSync(`/proc/${d}`).uid !== process.getuid!()) continue;
      const argv = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      const kind = argv[0]!.trim() === 'sandtray-userns' ? 'holder' : argv.includes('sandtray-launch-step') ? 'step' : null;
      if (!kind) continue;
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      out.push({ pid: Number(d), ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), kind });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Steps and holders descending from this process (the engine under test). */
const mine = (): Proc[] => {
  const all = stepProcesses();
  const ours = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) if (ours.has(p.ppid) && !ours.has(p.pid)) (ours.add(p.pid), (grew = true));
  }
  return all.filter((p) => ours.has(p.pid));
};
/** Holders no step owns any more (their parent went and init adopted them): none may be left. */
const orphans = (): number[] => stepProcesses().filter((p) => p.kind === 'holder' && p.ppid === 1).map((p) => p.pid);
const orphansBefore = new Set<number>();
const newOrphans = (): number[] => orphans().filter((p) => !orphansBefore.has(p));
const holders = (): number => mine().filter((p) => p.kind === 'holder').length;
const steps = (): number => mine().filter((p) => p.kind === 'step').length;

let dataDir = '';

before(async () => {
  for (const p of orphans()) orphansBefore.add(p);
  dataDir = fs.mkdtempSync(`${e.dir}/ro-`);
  fs.writeFileSync(`${dataDir}/f`, 'host\n');
  const plain = writeProfile(e, 'plain', `apiVersion: sandtray/v1\nmounts:\n  - {source: ${dataDir}, target: /ro}\n`);
  const own = writeProfile(e, 'own', 'apiVersion: sandtray/v1\nidmap: {mode: isolated, size: 4096}\n');
  const netadmin = writeProfile(e, 'netadmin', 'apiVersion: sandtray/v1\ncapabilities: [NET_ADMIN]\n');
  await e.ok(['create', 'plain', '--profile', plain]);
  await e.ok(['create', 'own', '--profile', own]);
  await e.ok(['create', 'netadmin', '--profile', netadmin]);
});
after(async () => {
  keepPreparedSteps(null);
  await e.cleanup();
});

/** What pid 1 is, as seen from inside: each line is compared between a fresh and a prepared start. */
const PROBE = [
  'hostname',
  'grep -E "^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):" /proc/1/status',
  'echo maps; cat /proc/1/uid_map /proc/1/gid_map',
  'echo fds; ls /proc/1/fd | sort -n | tr "\\n" " "; echo; readlink /proc/1/fd/0',
  // Mount points with their options, in order, without the ids that differ from start to start.
  'echo mounts; awk \'{ print $5, $6 }\' /proc/1/mountinfo',
  'echo net; ip -o link show lo | grep -o "state [A-Z]*"; cat /proc/sys/net/ipv4/ping_group_range',
  'echo nesting; unshare --user true 2>&1 | sed "s/^unshare: //"',
  'echo ro; (echo x > /ro/f) 2>&1 | sed "s/^.*: //"; mount -o remount,rw /ro 2>&1 | sed "s/^mount: //" | head -1',
].join('; ');

async function probe(name: string): Promise<string> {
  const r = await e.run(['exec', name, '--', '/bin/sh', '-c', PROBE]);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout.split('\n')[0], name, 'the probe ran inside the sandbox');
  return r.stdout;
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(ok(), what);
}

test('positive control: a sandbox started by a freshly spawned step has the expected pid 1', T, async () => {
  await e.ok(['start', 'plain']);
  const p = await probe('plain');
  // The probe reads what it compares below: a locked read-only mount, no nesting, lo up.
  assert.match(p, /^ro\nRead-only file system\n.*permission denied/im);
  assert.match(p, /^nesting\n.*(No space left on device|not permitted)/m);
  assert.match(p, /state UNKNOWN|state UP/);
  await e.ok(['stop', 'plain']);
});

test('a prepared step starts the same sandbox as a fresh one: with the map made ahead, with another map, with none', T, async () => {
  await e.ok(['start', 'plain']);
  const fresh = await probe('plain');
  const freshOwn = await (async () => {
    await e.ok(['start', 'own']);
    const r = await probe('own');
    await e.ok(['stop', 'own']);
    return r;
  })();
  await e.ok(['stop', 'plain']);

  keepPreparedSteps(stepBase);
  try {
    await preparedStepReady();
    // The first step knows no map yet: it makes the outer namespace with the start.
    assert.equal(holders(), 0, 'no map expected yet, no namespace made ahead');
    await startSandbox('plain');
    assert.equal(await probe('plain'), fresh, 'prepared step, no map made ahead');
    await stopSandbox('plain', { force: true });
    // The next one made the outer namespace of plain's map while waiting: its holders wait.
    await preparedStepReady();
    await until('the outer namespace is made ahead', () => holders() === 2);
    await startSandbox('plain');
    assert.equal(await probe('plain'), fresh, 'prepared step, map made ahead');
    await stopSandbox('plain', { force: true });
    // An isolated sandbox has a map of its own: the namespace made ahead goes, another is made.
    await preparedStepReady();
    await startSandbox('own');
    assert.equal(await probe('own'), freshOwn, 'prepared step, another map');
    await stopSandbox('own', { force: true });
    // The holders of the namespace made for the other map are gone with it, not left to init.
    await until('the holders made ahead for another map end', () => newOrphans().length === 0);
  } finally {
    keepPreparedSteps(null);
  }
});

test('a prepared start gives pid 1 nothing of the engine: only stdio, stdin on /dev/null, no step or holder left', T, async () => {
  keepPreparedSteps(stepBase);
  try {
    await preparedStepReady();
    // An engine descriptor without close-on-exec, opened before the start: it must not reach pid 1.
    const leak = fs.openSync(`${e.dir}/leak`, fs.constants.O_CREAT | fs.constants.O_WRONLY, 0o600);
    let rt;
    try {
      rt = await startSandbox('netadmin');
    } finally {
      fs.closeSync(leak);
    }
    const fds = fs.readdirSync(`/proc/${rt.init!.pid}/fd`).map(Number).sort((a, b) => a - b);
    assert.deepEqual(fds, [0, 1, 2], 'pid 1 holds stdio only');
    assert.equal(fs.readlinkSync(`/proc/${rt.init!.pid}/fd/0`), '/dev/null');
    // bwrap's monitor is the process of the step the start took.
    assert.match(fs.readFileSync(`/proc/${rt.monitor!.pid}/cmdline`, 'utf8'), /bwrap/);
    // Left: the next step, waiting with the outer namespace it made ahead (two holders).
    await preparedStepReady();
    await until('the next step made its namespace', () => holders() === 2);
    assert.equal(steps(), 1, JSON.stringify(mine()));
    // A capability the profile asks for acts on the sandbox's own network, as in a fresh start.
    const r = await e.run(['exec', 'netadmin', '--', '/bin/sh', '-c', 'ip link set lo mtu 1400 && ip -o link show lo']);
    assert.match(r.stdout, /mtu 1400/, r.stderr);
    await stopSandbox('netadmin', { force: true });
  } finally {
    keepPreparedSteps(null);
  }
  await until('the waiting step and its holders end when the engine stops keeping one', () => mine().length === 0);
  assert.equal(holders(), 0);
  // Killed with their step, holders pass through init's hands for a moment: none may stay there.
  await until('no holder is left to init', () => newOrphans().length === 0);
});

test('a start that fails after it took the step leaves no process of it, and the next start works', T, async () => {
  keepPreparedSteps(stepBase);
  try {
    await preparedStepReady();
    await startSandbox('plain');
    await stopSandbox('plain', { force: true });
    await preparedStepReady();
    // The mount source goes away: the start fails once the step is making the namespaces.
    fs.renameSync(dataDir, `${dataDir}.away`);
    try {
      await assert.rejects(startSandbox('plain'), /does not exist/);
    } finally {
      fs.renameSync(`${dataDir}.away`, dataDir);
    }
    await preparedStepReady();
    await until('only the next step waits, with its own namespace made ahead', () => steps() === 1 && holders() === 2);
    const rt = await startSandbox('plain');
    assert.ok(rt.init!.pid > 0);
    await stopSandbox('plain', { force: true });
  } finally {
    keepPreparedSteps(null);
  }
});

test('a waiting step ends with the engine that spawned it', T, async () => {
  // A separate engine that keeps a step, says its pid, and is killed.
  const script = `
    const { stepBase } = await import(${JSON.stringify(new URL('../../helpers/runtime/launch.js', import.meta.url).href)});
    const p = await import(${JSON.stringify(new URL('../../helpers/runtime/prepared.js', import.meta.url).href)});
    p.keepPreparedSteps(stepBase);
    await p.preparedStepReady();
    console.log('ready');
    setInterval(() => {}, 1000);
  `;
  const child = execa(process.execPath, ['--input-type=module', '-e', script], { env: { ...e.env }, extendEnv: false, reject: false });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += String(d)));
  await until('the engine keeps a step', () => out.includes('ready'));
  const step = stepProcesses().filter((p) => p.ppid === child.pid && p.kind === 'step');
  assert.equal(step.length, 1, 'the engine\'s step waits');
  child.kill('SIGKILL');
  await child;
  await until('the step ends with its engine', () => !fs.existsSync(`/proc/${step[0]!.pid}`));
});
