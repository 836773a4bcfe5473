// A CLI interrupted in the middle of `start` (SIGINT, SIGHUP, SIGTERM, SIGKILL) never leaves a
// sandbox nobody sees: it ends RUNNING (pid 1 recorded, `stop` ends it) or STOPPED with nothing of
// it left running. Also: a damaged sandbox.json is one BROKEN line in `list` and `delete --force`
// removes it; `restart` with a profile that no longer validates leaves the sandbox running.
//
// The steps are held, not guessed: the test puts wrappers for `newuidmap` (it writes the outer
// user namespace's map while the outer holder waits) and `pasta` (a nat sandbox's network, set up
// after pid 1 exists) first on the CLI's PATH. Each wrapper waits for a file the test creates, so the CLI is known to be at that step
// when the signal is sent; the CLI's lifecycle log says when it has taken a signal.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { execa } from 'execa';
import { BIN, pidsWithMarker, sandtrayEnv, writeProfile } from '../lib/sandtray.js';

const e = sandtrayEnv('interrupt');
after(() => e.cleanup());

const wrapDir = path.join(e.dir, 'wrap');
const goDir = path.join(e.dir, 'go');
fs.mkdirSync(goDir);
/** Lets the held tools run on (`go/newuidmap`, `go/pasta`), or holds them again. */
function release(...tools: string[]): void {
  for (const t of tools) fs.writeFileSync(path.join(goDir, t), '');
}
function hold(...tools: string[]): void {
  for (const t of tools) fs.rmSync(path.join(goDir, t), { force: true });
}
fs.mkdirSync(wrapDir, { mode: 0o755 });
function which(tool: string): string {
  for (const d of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) if (fs.existsSync(path.join(d, tool))) return path.join(d, tool);
  throw new Error(`${tool} not found`);
}
for (const tool of ['newuidmap', 'pasta']) {
  // Waits for the go file, then becomes the real tool (same pid, same start time).
  fs.writeFileSync(path.join(wrapDir, tool), `#!/bin/sh\nwhile [ ! -e '${path.join(goDir, tool)}' ]; do sleep 0.01; done\nexec '${which(tool)}' "$@"\n`, { mode: 0o755 });
}
const heldEnv = { ...e.env, PATH: `${wrapDir}:${e.env['PATH']}` };

async function until<T>(what: string, check: () => T | null | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Proc { pid: number; start: number }
function stat(pid: number): string[] | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}
function alive(p: Proc): boolean {
  const f = stat(p.pid);
  // A zombie is gone for our purposes; fields from state: [0] state, [19] starttime.
  return f !== null && f[0] !== 'Z' && Number(f[19]) === p.start;
}
function proc(pid: number): Proc | null {
  const f = stat(pid);
  return f ? { pid, start: Number(f[19]) } : null;
}
function childrenWith(ppid: number, needle: string): Proc[] {
  const out: Proc[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const f = stat(Number(d));
    if (!f || Number(f[1]) !== ppid) continue;
    try {
      if (!fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(needle)) continue;
    } catch {
      continue;
    }
    const p = proc(Number(d));
    if (p) out.push(p);
  }
  return out;
}

interface Rt { phase: string; init: Proc | null; monitor: Proc | null; helpers: (Proc & { what: string })[] }
function runtime(name: string): Rt | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(e.env['XDG_RUNTIME_DIR']!, 'sandtray', name, 'state.json'), 'utf8')) as Rt;
  } catch {
    return null;
  }
}
function logText(name: string): string {
  try {
    return fs.readFileSync(path.join(e.env['XDG_STATE_HOME']!, 'sandtray', 'logs', `${name}.log`), 'utf8');
  } catch {
    return '';
  }
}
async function stateOf(name: string): Promise<{ state: string; pid: number | null; broken?: boolean; problem: string | null }> {
  const list = JSON.parse(await e.ok(['list', '--json'])) as { name: string; state: string; pid: number | null; problem: string | null }[];
  const s = list.find((x) => x.name === name);
  assert.ok(s, `${name} is listed`);
  return s;
}

/** Everything of the sandbox a start could have left: its processes, the holders seen, bwrap, pasta. */
async function nothingLeft(name: string, seen: Proc[]): Promise<void> {
  await until(`no process of ${name} left`, () => pidsWithMarker(`SANDTRAY_NAME=${name}`).length === 0 && seen.every((p) => !alive(p)), 10_000).catch((err) => {
    throw new Error(`${(err as Error).message}: sandbox ${JSON.stringify(pidsWithMarker(`SANDTRAY_NAME=${name}`))}, seen alive ${JSON.stringify(seen.filter(alive))}`);
  });
}

type Step = 'holders' | 'pid 1';
const STEPS: Step[] = ['holders', 'pid 1'];
const SIGNALS = ['SIGINT', 'SIGHUP', 'SIGTERM', 'SIGKILL'] as const;

describe('a start interrupted at each step', { timeout: 300_000 }, () => {
  for (const step of STEPS) {
    for (const sig of SIGNALS) {
      it(`${sig} ${step === 'holders' ? 'right after the user namespace holders appear' : 'after pid 1 exists, during the nat setup'}`, { timeout: 60_000 }, async () => {
        const name = `int-${sig.slice(3).toLowerCase()}-${step === 'holders' ? 'h' : 'p'}`;
        await e.ok(['create', name, '--set', 'network.mode=nat']);
        hold('newuidmap', 'pasta');
        if (step === 'pid 1') release('newuidmap');
        const cli = execa(process.execPath, [BIN, 'start', name], { env: heldEnv, extendEnv: false, reject: false, stdin: 'ignore' });
        const seen: Proc[] = [];
        if (step === 'holders') {
          // The launch step (a child of the CLI) waits for the newuidmap wrapper, its child, while its
          // other child, the outer holder, waits for the map.
          seen.push(...(await until('the holders', () => {
            const step = childrenWith(cli.pid!, 'sandtray-launch-step');
            const kids = step.flatMap((s) => childrenWith(s.pid, ''));
            const cmd = (p: Proc): string => {
              try {
                return fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8');
              } catch {
                return '';
              }
            };
            const holder = kids.filter((p) => cmd(p).startsWith('sandtray-userns'));
            const wrapper = kids.filter((p) => cmd(p).includes(path.join(wrapDir, 'newuidmap')));
            return holder.length && wrapper.length ? [...step, ...kids] : null;
          })));
          assert.equal(runtime(name)?.init ?? null, null, 'no pid 1 yet');
        } else {
          const rt = await until('pid 1 and pasta in the runtime record', () => {
            const r = runtime(name);
            return r && r.phase === 'starting' && r.init && r.monitor && r.helpers.some((h) => h.what === 'pasta') ? r : null;
          });
          seen.push(rt.init!, rt.monitor!, ...rt.helpers);
          assert.ok(seen.every(alive), 'pid 1, bwrap and the pasta wrapper run');
          // While the start is still going, the sandbox is seen, and a second start refuses.
          assert.equal((await stateOf(name)).state, 'STARTING');
        }
        process.kill(cli.pid!, sig);
        if (sig !== 'SIGKILL') await until('the CLI to take the signal', () => logText(name).includes(`interrupted (${sig})`));
        release('newuidmap', 'pasta');
        const res = await cli;
        if (sig !== 'SIGKILL') {
          // The start reverted, then the CLI ended by the signal, as a shell expects.
          assert.equal(res.signal, sig, `CLI ended by ${sig}: ${res.stderr}`);
          assert.equal((await stateOf(name)).state, 'STOPPED');
          assert.equal(runtime(name), null, 'the runtime record is gone');
          await nothingLeft(name, seen);
        } else if (step === 'holders') {
          // Nothing of the sandbox ran: the holders end when the dead CLI's pipes close.
          assert.equal((await stateOf(name)).state, 'STOPPED');
          await nothingLeft(name, seen);
        } else {
          // pid 1 was recorded before the CLI died: RUNNING, seen by list, stop and start.
          const rt = runtime(name)!;
          const s = await stateOf(name);
          assert.equal(s.state, 'RUNNING');
          assert.equal(s.pid, rt.init!.pid);
          const again = await e.run(['start', name]);
          assert.notEqual(again.exitCode, 0, 'a second start refuses');
          assert.match(again.stderr, /already RUNNING/);
          await e.ok(['stop', name, '--timeout', '5']);
          assert.equal((await stateOf(name)).state, 'STOPPED');
          await nothingLeft(name, seen);
        }
        // Whatever the interruption left, the sandbox starts and stops normally afterwards.
        await e.ok(['start', name]);
        assert.equal((await stateOf(name)).state, 'RUNNING');
        await e.ok(['stop', name, '--timeout', '5']);
        await e.ok(['delete', name]);
      });
    }
  }

  it('launch interrupted during its start leaves neither the sandbox it created nor anything of it', { timeout: 60_000 }, async () => {
    const name = 'int-launch';
    hold('pasta');
    release('newuidmap');
    const cli = execa(process.execPath, [BIN, 'launch', name, '--set', 'network.mode=nat'], { env: heldEnv, extendEnv: false, reject: false, stdin: 'ignore' });
    const rt = await until('pid 1 and pasta in the runtime record', () => {
      const r = runtime(name);
      return r && r.init && r.monitor && r.helpers.some((h) => h.what === 'pasta') ? r : null;
    });
    process.kill(cli.pid!, 'SIGINT');
    await until('the CLI to take the signal', () => logText(name).includes('interrupted (SIGINT)'));
    release('pasta');
    const res = await cli;
    assert.equal(res.signal, 'SIGINT', res.stderr);
    await nothingLeft(name, [rt.init!, rt.monitor!, ...rt.helpers]);
    assert.ok(!JSON.parse(await e.ok(['list', '--json'])).some((s: { name: string }) => s.name === name), 'the sandbox launch created is gone');
  });

  it('delete --force ends what a start killed after pid 1 left running', { timeout: 60_000 }, async () => {
    const name = 'int-kill-delete';
    await e.ok(['create', name, '--set', 'network.mode=nat']);
    hold('pasta');
    release('newuidmap');
    const cli = execa(process.execPath, [BIN, 'start', name], { env: heldEnv, extendEnv: false, reject: false, stdin: 'ignore' });
    const rt = await until('pid 1 and pasta in the runtime record', () => {
      const r = runtime(name);
      return r && r.init && r.monitor && r.helpers.length ? r : null;
    });
    process.kill(cli.pid!, 'SIGKILL');
    await cli;
    release('pasta');
    await e.ok(['delete', '--force', name]);
    await nothingLeft(name, [rt.init!, rt.monitor!, ...rt.helpers]);
    assert.ok(!JSON.parse(await e.ok(['list', '--json'])).some((s: { name: string }) => s.name === name));
  });
});

describe('a damaged sandbox.json', { timeout: 120_000 }, () => {
  it('is one BROKEN line in list, and delete --force removes it and ends what it ran', { timeout: 60_000 }, async () => {
    await e.ok(['create', 'dmg-ok']);
    await e.ok(['create', 'dmg-bad']);
    await e.ok(['start', 'dmg-bad']);
    const rt = runtime('dmg-bad')!;
    const record = path.join(e.env['XDG_DATA_HOME']!, 'sandtray', 'sandboxes', 'dmg-bad', 'sandbox.json');
    const text = fs.readFileSync(record, 'utf8');
    fs.writeFileSync(record, text.slice(0, Math.floor(text.length / 2)));

    const table = await e.ok(['list']);
    const line = table.split('\n').find((l) => l.startsWith('dmg-bad'));
    assert.ok(line, table);
    assert.match(line, /BROKEN/);
    assert.match(line, /damaged/);
    assert.match(table, /^dmg-ok\s+STOPPED/m, 'the other sandboxes are listed as ever');
    const bad = await stateOf('dmg-bad');
    assert.equal(bad.broken, true);
    assert.match(bad.problem ?? '', /damaged: not JSON/);

    // Without --force it says how; with it the record goes, and so does the pid 1 it named.
    const plain = await e.run(['delete', 'dmg-bad']);
    assert.notEqual(plain.exitCode, 0);
    assert.match(plain.stderr, /delete --force dmg-bad/);
    await e.ok(['delete', '--force', 'dmg-bad']);
    await nothingLeft('dmg-bad', [rt.init!, rt.monitor!]);
    const names = (JSON.parse(await e.ok(['list', '--json'])) as { name: string }[]).map((s) => s.name);
    assert.ok(!names.includes('dmg-bad') && names.includes('dmg-ok'), names.join(','));
    await e.ok(['delete', 'dmg-ok']);
  });
});

describe('restart with a profile that became invalid', { timeout: 120_000 }, () => {
  it('refuses before stopping anything', { timeout: 60_000 }, async () => {
    const file = writeProfile(e, 'rs', 'apiVersion: sandtray/v1\nhostname: rs-one\n');
    await e.ok(['create', 'rs', '--profile', file]);
    await e.ok(['start', 'rs']);
    const before = await stateOf('rs');
    assert.equal(before.state, 'RUNNING');
    fs.writeFileSync(file, 'apiVersion: sandtray/v1\nnetwork: {mode: nowhere}\n');
    const r = await e.run(['restart', 'rs', '--timeout', '5']);
    assert.notEqual(r.exitCode, 0, r.stdout);
    assert.match(r.stderr, /nowhere|network/);
    const now = await stateOf('rs');
    assert.equal(now.state, 'RUNNING', 'still running');
    assert.equal(now.pid, before.pid, 'the same pid 1: nothing was stopped');
    // Fixed, it restarts.
    fs.writeFileSync(file, 'apiVersion: sandtray/v1\nhostname: rs-two\n');
    await e.ok(['restart', 'rs', '--timeout', '5']);
    assert.notEqual((await stateOf('rs')).pid, before.pid);
    await e.ok(['delete', '--force', 'rs']);
  });
});
