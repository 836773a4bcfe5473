// stopWhenIdle: the sandbox stops by itself once the last app, shell or command run in it has
// exited, and not before something ran; a sandbox without it stays up (the control).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { sandtrayEnv, writeProfile, type Env } from '../lib/sandtray.js';
import { until as waitUntil } from '../lib/vpn-lab.js';

/** Waits, bounded (30 s by default), until check() holds. */
const until = (what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> => waitUntil(check, ms, what);

let e: Env;
before(() => {
  e = sandtrayEnv('idle');
});
after(async () => {
  await e?.cleanup();
});

async function state(name: string): Promise<string> {
  const list = JSON.parse(await e.ok(['list', '--json'])) as { name: string; state: string }[];
  return list.find((s) => s.name === name)?.state ?? 'absent';
}


/** Host pid of a sandbox's pid 1. */
function initPid(name: string): number {
  return (JSON.parse(fs.readFileSync(path.join(e.env['XDG_RUNTIME_DIR']!, 'sandtray', name, 'state.json'), 'utf8')) as { init: { pid: number } }).init.pid;
}

/**
 * Waits until pid 1 of an idle sandbox has looked at least `n` more times: it sleeps a second
 * between two looks, and each sleep is one voluntary context switch of its own.
 */
async function looks(name: string, n: number): Promise<void> {
  const pid = initPid(name);
  const sleeps = (): number => Number(/^voluntary_ctxt_switches:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  let first: number;
  try {
    first = sleeps();
  } catch {
    return;
  }
  await until(`${n} looks of pid 1`, async () => {
    try {
      return sleeps() >= first + n + 1;
    } catch {
      return true;
    }
  });
}

const idle = (extra = '') => `apiVersion: sandtray/v1\nnetwork: {mode: none}\nstopWhenIdle: true\n${extra}`;

describe('stopWhenIdle', { timeout: 300_000 }, () => {
  test('stays up until something has run, then stops when the last of it exits; without it the sandbox stays', { timeout: 120_000 }, async () => {
    await e.ok(['launch', 'idle', '--profile', writeProfile(e, 'idle', idle())]);
    await e.ok(['launch', 'keep', '--profile', writeProfile(e, 'keep', 'apiVersion: sandtray/v1\nnetwork: {mode: none}\n')]);
    // Nothing ran yet: pid 1 looks several times and stays.
    await looks('idle', 3);
    assert.equal(await state('idle'), 'RUNNING');
    // A command runs and exits in both.
    for (const n of ['idle', 'keep']) assert.equal((await e.ok(['exec', n, '--', 'sh', '-c', 'echo ran'])).trim(), 'ran');
    await until('the idle sandbox to stop', async () => (await state('idle')) === 'STOPPED');
    // It ended by the profile's wish: pid 1 exited 0, and the record says the sandbox stops when idle.
    const rt = path.join(e.env['XDG_RUNTIME_DIR']!, 'sandtray', 'idle');
    assert.equal((JSON.parse(fs.readFileSync(path.join(rt, 'state.json'), 'utf8')) as { stopWhenIdle?: boolean }).stopWhenIdle, true);
    await until('the exit status', async () => /"exit-code":\s*0\b/.test(fs.readFileSync(path.join(rt, 'exit.json'), 'utf8')));
    // The control: the same command left the other one running.
    assert.equal(await state('keep'), 'RUNNING');
    assert.match(await e.ok(['exec', 'keep', '--', 'echo', 'still-here']), /still-here/);
    // It starts again as usual.
    await e.ok(['start', 'idle']);
    assert.equal(await state('idle'), 'RUNNING');
    await e.ok(['delete', '--force', 'idle']);
    await e.ok(['delete', '--force', 'keep']);
  });

  test('an app opened with open keeps it up while it runs; a command that came and went does not stop it early', { timeout: 120_000 }, async () => {
    const prof = writeProfile(e, 'apps', idle("apps:\n  - {name: waiter, command: [sh, -c, 'mkfifo /run/go; echo app-started; read line < /run/go; echo app-done']}\n  - {name: blink, command: ['true']}\n"));
    await e.ok(['create', 'apps', '--profile', prof]);
    // open starts the sandbox; the app waits on a FIFO that only this test writes to.
    await e.ok(['open', 'apps', 'waiter']);
    await until('the app', async () => (await e.run(['log', 'apps'])).stdout.includes('app-started'));
    // A short command and a short app come and go while the long one runs: the sandbox stays.
    await e.ok(['exec', 'apps', '--', 'true']);
    await e.ok(['open', 'apps', 'blink']);
    await looks('apps', 3);
    assert.equal(await state('apps'), 'RUNNING');
    // The last app ends: the sandbox stops by itself.
    await e.ok(['exec', 'apps', '--', 'sh', '-c', 'echo go > /run/go']);
    await until('the sandbox to stop', async () => (await state('apps')) === 'STOPPED');
    assert.match((await e.run(['log', 'apps'])).stdout, /app-done/);
    await e.ok(['delete', '--force', 'apps']);
  });
});
