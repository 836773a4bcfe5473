// The engine's folders come from the environment it is given, and the test run gives the code it
// tests folders of its own: no test writes into the developer's real profiles or sandboxes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { sandtrayPaths } from '../../helpers/api/base.js';

test('sandtrayPaths(env) takes every XDG folder from env, not from the process', () => {
  const env = { HOME: '/h', XDG_CONFIG_HOME: '/x/c', XDG_DATA_HOME: '/x/d', XDG_STATE_HOME: '/x/s', XDG_RUNTIME_DIR: '/x/r' };
  assert.deepEqual(sandtrayPaths(env), { config: '/x/c/sandtray', data: '/x/d/sandtray', state: '/x/s/sandtray', runtime: '/x/r/sandtray' });
  // Unset or relative (invalid, says the XDG spec): HOME's defaults, from env's HOME.
  const home = sandtrayPaths({ HOME: '/h', XDG_DATA_HOME: 'relative', XDG_RUNTIME_DIR: '/x/r' });
  assert.deepEqual([home.config, home.data, home.state], ['/h/.config/sandtray', '/h/.local/share/sandtray', '/h/.local/state/sandtray']);
});

test('the test run points the default folders at a throwaway folder', () => {
  const given = process.env['SANDTRAY_TEST_XDG'];
  assert.ok(given, 'run the suite with `node test/run.js`: it gives the tests folders of their own');
  const p = sandtrayPaths();
  for (const dir of [p.config, p.data, p.state]) {
    assert.ok(dir.startsWith(given + path.sep), `${dir} is inside the run's folder`);
    assert.ok(!dir.startsWith(path.join(os.homedir(), '.')), `${dir} is not the developer's own`);
  }
});
