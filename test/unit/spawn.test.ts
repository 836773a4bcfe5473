// The one way the engine starts host processes passes exactly the environment it is given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HOST_ENV, hostEnv, spawnTool } from '../../helpers/host/spawn.js';
import { runTool } from '../../helpers/host/tools.js';

test('a tool gets the environment built for it, nothing of the caller', async () => {
  process.env['SANDTRAY_LEAK_PROBE'] = 'leaked';
  try {
    // Positive control: a process started the usual way inherits it.
    const { execa } = await import('execa');
    assert.match((await execa('/usr/bin/env', [])).stdout, /SANDTRAY_LEAK_PROBE=leaked/);
    const r = await spawnTool('/usr/bin/env', [], { env: hostEnv({ ONLY_THIS: '1' }), reject: false });
    assert.equal(r.exitCode, 0);
    assert.deepEqual(r.stdout.split('\n').sort(), Object.entries({ ...HOST_ENV, ONLY_THIS: '1' }).map(([k, v]) => `${k}=${v}`).sort());
    const t = await runTool('/usr/bin/env', []);
    assert.deepEqual(String(t.stdout).split('\n').sort(), Object.entries(HOST_ENV).map(([k, v]) => `${k}=${v}`).sort(), 'runTool too');
  } finally {
    delete process.env['SANDTRAY_LEAK_PROBE'];
  }
});
