// Twenty start/stop cycles from one long-lived process, as the tray app runs them: nothing may pile up.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { sandtrayEnv, pidsWithMarker } from '../lib/sandtray.js';

const e = sandtrayEnv('cycles');
after(() => e.cleanup());

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

test('no descriptor or process is left behind after 20 start/stop cycles', { timeout: 300_000 }, async () => {
  Object.assign(process.env, e.env);
  const { createSandbox } = await import('../../helpers/lifecycle/create.js');
  const { startSandbox } = await import('../../helpers/lifecycle/start.js');
  const { stopSandbox } = await import('../../helpers/lifecycle/stop.js');
  const { sandboxState } = await import('../../helpers/runtime/state.js');
  // A name of this run only, so the process check below cannot see another run's sandbox.
  const name = `cyc-${process.pid}`;
  await createSandbox(name, { profiles: [] });
  // One warm-up cycle, so lazily opened descriptors (module loading, the inotify of nothing) are counted in the baseline.
  await startSandbox(name);
  await stopSandbox(name);
  const fdsBefore = openFds();
  const childrenBefore = childrenOf(process.pid).length;
  for (let i = 0; i < 20; i++) {
    const rt = await startSandbox(name);
    assert.equal(sandboxState(name).state, 'RUNNING');
    assert.ok(rt.init && fs.existsSync(`/proc/${rt.init.pid}`));
    await stopSandbox(name, { timeoutSec: 5 });
    assert.equal(sandboxState(name).state, 'STOPPED');
  }
  // Exited children are reaped, and their pipes closed, by the event loop some time after the stop
  // returns; how long that takes depends on the machine's load. Wait for it (bounded), then check.
  // Fewer than the baseline is fine (the baseline may still hold a pipe of the warm-up's last
  // child); a leak is more, and 20 cycles make even one descriptor per cycle plain.
  const settled = (): boolean => openFds() <= fdsBefore && childrenOf(process.pid).length <= childrenBefore;
  for (const deadline = Date.now() + 10_000; !settled() && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
  const fdsAfter = openFds();
  const childrenAfter = childrenOf(process.pid).length;
  assert.ok(fdsAfter <= fdsBefore, `descriptors of this process: ${fdsAfter} after the cycles, ${fdsBefore} before`);
  assert.ok(childrenAfter <= childrenBefore, `child processes (zombies included): ${childrenAfter} after the cycles, ${childrenBefore} before`);
  assert.deepEqual(pidsWithMarker(`SANDTRAY_NAME=${name}`), [], 'no process of the sandbox survives');
});
